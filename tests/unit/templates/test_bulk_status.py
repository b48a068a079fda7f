"""Per-destination statuses of bulk sends, in each API version's names."""

from __future__ import annotations

import botocore.session
import pytest

from sesame.domain.errors import (
    AccountSendingPaused,
    ConfigurationSetDoesNotExist,
    DailyQuotaExceeded,
    InvalidParameterValue,
    MailFromDomainNotVerified,
    MessageRejected,
    SesError,
    Throttling,
)
from sesame.domain.sending.service import SendOutcome
from sesame.domain.templated_sending import BulkStatus, status_of


@pytest.mark.parametrize(
    ("error", "v1", "v2"),
    [
        (None, "Success", "SUCCESS"),
        (MessageRejected("x"), "MessageRejected", "MESSAGE_REJECTED"),
        (MailFromDomainNotVerified("x"), "MailFromDomainNotVerified", "MAIL_FROM_DOMAIN_NOT_VERIFIED"),
        (ConfigurationSetDoesNotExist("x"), "ConfigurationSetDoesNotExist", "CONFIGURATION_SET_NOT_FOUND"),
        (Throttling("x"), "AccountThrottled", "ACCOUNT_THROTTLED"),
        (DailyQuotaExceeded("x"), "AccountDailyQuotaExceeded", "ACCOUNT_DAILY_QUOTA_EXCEEDED"),
        (AccountSendingPaused("x"), "AccountSendingPaused", "ACCOUNT_SENDING_PAUSED"),
        (InvalidParameterValue("x"), "InvalidParameterValue", "INVALID_PARAMETER"),
        (SesError("x"), "Failed", "FAILED"),
        (ConnectionError("queue down"), "TransientFailure", "TRANSIENT_FAILURE"),
    ],
)
def test_each_refusal_maps_to_ses_status(error: Exception | None, v1: str, v2: str) -> None:
    status = status_of(SendOutcome(message_id=None if error else "id", error=error))
    assert (status.value, status.v2) == (v1, v2)


def test_every_status_is_in_both_botocore_models() -> None:
    session = botocore.session.get_session()
    v1 = set(session.get_service_model("ses").shape_for("BulkEmailStatus").enum)
    v2 = set(session.get_service_model("sesv2").shape_for("BulkEmailStatus").enum)
    assert {status.value for status in BulkStatus} <= v1
    assert {status.v2 for status in BulkStatus} <= v2
