"""Who is calling, established by SigV4 before any operation runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    account_id: str
    access_key_id: str
    region: str
    request_id: str
    source_ip: str = ""
