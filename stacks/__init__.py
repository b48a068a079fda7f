"""Sesame's CDK app: one stack composed of one construct per capability.

``create_app`` is what app.py runs; tests call it with extra context. It reads the context of
cdk.json itself, so ``python app.py`` (no CDK CLI) synthesizes exactly what ``cdk synth`` does; the
CLI's context (cdk.json, cdk.context.json, ``-c``) still wins where both give a key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from stacks.config import ConfigError, SesameConfig
from stacks.outputs import OUTPUT_IDS
from stacks.sesame_stack import SesameStack

__all__ = [
    "CDK_JSON",
    "OUTPUT_IDS",
    "ConfigError",
    "SesameConfig",
    "SesameStack",
    "cdk_json_context",
    "create_app",
]

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    context = json.loads(path.read_text(encoding="utf-8")).get("context", {})
    if not isinstance(context, dict):
        raise ConfigError(f'{path}: "context" must be an object')
    return context


def create_app(
    context: Mapping[str, Any] | None = None, *, outdir: str | None = None
) -> tuple[cdk.App, SesameStack]:
    """The app and its stack; raises ConfigError, naming every bad key, before building anything."""
    app = cdk.App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    config = SesameConfig.from_context(app.node.get_all_context())
    env = (
        cdk.Environment(account=config.account, region=config.region)
        if config.account or config.region
        else None  # environment-agnostic: synth needs no credentials and makes no lookups
    )
    stack = SesameStack(app, config.stack_name, config=config, env=env, tags={"project": "sesame"})
    return app, stack
