"""Contexts shared by the infra tests (conftest.py puts the repository root on sys.path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Bundling runs pip for the Lambda platform; tests look at templates, not at the zip.
NO_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}

# Everything a team can set, set to something other than its default.
FULL_CONTEXT: dict[str, Any] = {
    "stack_name": "SesameFull",
    "name_prefix": "acme-mail",
    "account": "123456789012",
    "region": "eu-west-1",
    "deletion_protection": False,
    "api_memory_mb": 1024,
    "checker_memory_mb": 512,
    "log_level": "DEBUG",
    "log_retention_days": 90,
    "api_throttle_rate": 20,
    "api_throttle_burst": 40,
    "identity_check_minutes": 15,
    "dkim_signing_zone": "dkim.mail.example.com",
    "mail_from_mx_host": "feedback-smtp.mail.example.com",
    "spf_include_domain": "spf.mail.example.com",
    "public_base_url": "https://mail.example.com",
}

IMPORTED_ZONE_CONTEXT: dict[str, Any] = {
    "dkim_signing_zone": "dkim.example.org",
    "dkim_hosted_zone_id": "Z0123456789ABCDEFGHIJ",
}
