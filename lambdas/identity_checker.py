"""Scheduled re-check of pending identities (domain tokens, DKIM, MAIL FROM) in DNS."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from sesame.adapters.aws import AwsClients
from sesame.adapters.identity_wiring import make_identity_service
from sesame.domain.identities import IdentityService
from sesame.settings import Settings

logger = Logger()


@cache
def _identities() -> IdentityService:
    settings = Settings.from_environment()
    return make_identity_service(settings, AwsClients(settings))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    checked = _identities().check_pending()
    logger.info("checked pending identities", extra={"checked": checked})
    return {"checked": checked}
