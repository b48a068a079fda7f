"""Domain errors become SES's SMTP replies in one place."""

from __future__ import annotations

import pytest

from sesame.domain.errors import (
    AccountSendingPaused,
    ConfigurationSetDoesNotExist,
    InternalFailure,
    InvalidParameterValue,
    MessageRejected,
    SesError,
    Throttling,
)
from sesame.domain.quotas import DAILY_QUOTA_EXCEEDED, RATE_EXCEEDED
from sesame.smtp.replies import accepted, reply_for


@pytest.mark.parametrize(
    ("error", "reply"),
    [
        (Throttling(RATE_EXCEEDED), "454 Throttling failure: Maximum sending rate exceeded."),
        (Throttling(DAILY_QUOTA_EXCEEDED), "454 Throttling failure: Daily message quota exceeded."),
        (
            MessageRejected(
                "Email address is not verified. The following identities failed the check in region "
                "US-EAST-1: a@b.test"
            ),
            "554 Message rejected: Email address is not verified. The following identities failed "
            "the check in region US-EAST-1: a@b.test",
        ),
        (
            ConfigurationSetDoesNotExist("Configuration set <nope> does not exist."),
            "554 Configuration Set does not exist: Configuration set <nope> does not exist.",
        ),
        (
            InvalidParameterValue("Duplicate header 'Subject'."),
            "554 Transaction failed: Duplicate header 'Subject'.",
        ),
        (
            AccountSendingPaused("Sending is paused for this account."),
            "554 Transaction failed: Sending is paused for this account.",
        ),
        (InternalFailure("the table did not answer"), "451 Temporary service failure"),
    ],
)
def test_each_refusal_has_ses_reply(error: SesError, reply: str) -> None:
    assert reply_for(error) == reply


def test_a_reply_stays_one_ascii_line_whatever_the_message() -> None:
    reply = reply_for(InvalidParameterValue("Invalid header\r\n250 Ok fake\nGrüße"))
    assert "\r" not in reply and "\n" not in reply
    assert reply.isascii()
    assert reply.startswith("554 Transaction failed: Invalid header 250 Ok fake Gr")


def test_an_accepted_message_is_answered_with_its_message_id() -> None:
    assert accepted("0100abc-def-000000") == "250 Ok 0100abc-def-000000"
