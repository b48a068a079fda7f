"""Classification of SMTP replies into outcomes, statuses and SES bounce types."""

from __future__ import annotations

import pytest

from sesame.domain.sending.model import BounceSubType, BounceType, ResultKind
from sesame.domain.sending.smtp_replies import (
    Reason,
    SmtpReply,
    classify,
    failure_reason,
    parse_reply,
    parse_reply_line,
    recipient_result,
    reply,
    status_of,
)

PERMANENT = BounceType.PERMANENT
TRANSIENT = BounceType.TRANSIENT


# --- parsing ----------------------------------------------------------------------------------


def test_enhanced_code_is_read_from_the_start_of_the_text() -> None:
    parsed = parse_reply(550, b"5.1.1 <x@example.test>: Recipient address rejected: User unknown")
    assert parsed.enhanced == "5.1.1"
    assert parsed.text == "<x@example.test>: Recipient address rejected: User unknown"
    assert parsed.wire == "550 5.1.1 <x@example.test>: Recipient address rejected: User unknown"


def test_multiline_reply_keeps_its_lines_in_wire_form_and_joins_its_text() -> None:
    parsed = parse_reply(
        550,
        b"5.1.1 The email account that you tried to reach does not exist.\n"
        b"5.1.1 Please check the address.\n5.1.1 https://example.test/help",
    )
    assert parsed.enhanced == "5.1.1"
    assert parsed.wire == (
        "550-5.1.1 The email account that you tried to reach does not exist.\n"
        "550-5.1.1 Please check the address.\n"
        "550 5.1.1 https://example.test/help"
    )
    assert parsed.text == (
        "The email account that you tried to reach does not exist. Please check the address. "
        "https://example.test/help"
    )


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        (250, "2.0.0 Ok", "2.0.0"),
        (452, "4.2.2 Mailbox full", "4.2.2"),
        (550, "5.1.10 null MX", "5.1.10"),
        (550, "5.123.999 odd but valid", "5.123.999"),
        (550, "no enhanced code", ""),
        (550, "4.1.1 class disagrees with the basic code", ""),
        (550, "5.1.1x not followed by a space", ""),
        (550, "5.1 too short", ""),
        (550, "", ""),
    ],
)
def test_enhanced_code_recognition(code: int, text: str, expected: str) -> None:
    assert parse_reply(code, text).enhanced == expected


def test_text_without_an_enhanced_code_is_kept_whole() -> None:
    parsed = parse_reply(550, "4.1.1 class disagrees")
    assert parsed.text == "4.1.1 class disagrees"


def test_wire_form_round_trips_through_parse_reply_line() -> None:
    original = parse_reply(550, b"5.1.1 first line\n5.1.1 second line")
    assert parse_reply_line(original.wire) == original
    assert parse_reply_line("smtp; " + original.wire) == original
    assert parse_reply_line("250 Ok") == SmtpReply(250, ("Ok",))
    assert parse_reply_line("421") == SmtpReply(421, ("",))


def test_parse_reply_line_rejects_text_that_is_not_a_reply() -> None:
    with pytest.raises(ValueError, match="not an SMTP reply"):
        parse_reply_line("hello there")


def test_reply_with_empty_text_renders_the_bare_code() -> None:
    assert parse_reply(250, b"").wire == "250"
    assert reply(421, "", "").wire == "421"


# --- outcome ----------------------------------------------------------------------------------


def test_2xx_is_delivered_without_bounce_fields() -> None:
    verdict = classify(parse_reply(250, b"2.0.0 Ok: queued as ABC"))
    assert verdict.kind is ResultKind.DELIVERED
    assert verdict.status == "2.0.0"
    assert verdict.bounce_type is None and verdict.bounce_subtype is None
    assert verdict.smtp_response == "250 2.0.0 Ok: queued as ABC"
    assert verdict.diagnostic_code == "smtp; 250 2.0.0 Ok: queued as ABC"


def test_2xx_without_enhanced_code_gets_2_0_0() -> None:
    verdict = classify(parse_reply(250, b"OK"))
    assert verdict.status == "2.0.0"
    assert verdict.smtp_response == "250 OK"


def test_4xx_is_deferred_and_would_bounce_as_transient_general() -> None:
    verdict = classify(parse_reply(451, b"4.3.0 Temporary local problem"))
    assert verdict.kind is ResultKind.DEFERRED
    assert verdict.status == "4.3.0"
    assert (verdict.bounce_type, verdict.bounce_subtype) == (TRANSIENT, BounceSubType.GENERAL)


def test_5xx_is_bounced() -> None:
    verdict = classify(parse_reply(554, b"5.0.0 Transaction failed"))
    assert verdict.kind is ResultKind.BOUNCED
    assert (verdict.bounce_type, verdict.bounce_subtype) == (PERMANENT, BounceSubType.GENERAL)


@pytest.mark.parametrize("code", [0, 101, 354, 600, 999])
def test_codes_outside_2xx_4xx_5xx_are_temporary_protocol_errors(code: int) -> None:
    verdict = classify(SmtpReply(code, ("something odd",)))
    assert verdict.kind is ResultKind.DEFERRED
    assert verdict.status == "4.0.0"


# --- SES bounce subtypes from enhanced codes --------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "bounce_type", "subtype"),
    [
        (550, "5.1.1 <a@b.test>: Recipient address rejected", PERMANENT, BounceSubType.NO_EMAIL),
        (550, "5.1.0 Address rejected", PERMANENT, BounceSubType.NO_EMAIL),
        (556, "5.1.10 Recipient address has null MX", PERMANENT, BounceSubType.NO_EMAIL),
        (552, "5.2.2 Mailbox full", TRANSIENT, BounceSubType.MAILBOX_FULL),
        (552, "5.3.4 Message too big for system", TRANSIENT, BounceSubType.MESSAGE_TOO_LARGE),
        (
            552,
            "5.2.3 Message length exceeds administrative limit",
            TRANSIENT,
            BounceSubType.MESSAGE_TOO_LARGE,
        ),
        (554, "5.7.1 Message rejected as spam", TRANSIENT, BounceSubType.CONTENT_REJECTED),
        (550, "5.7.1 Message content rejected", TRANSIENT, BounceSubType.CONTENT_REJECTED),
        (554, "5.7.1 Detected malware in message", TRANSIENT, BounceSubType.CONTENT_REJECTED),
        (550, "5.7.1 Attachment type not allowed", TRANSIENT, BounceSubType.ATTACHMENT_REJECTED),
        (554, "5.6.1 Media not supported", TRANSIENT, BounceSubType.CONTENT_REJECTED),
        (552, "5.6.0 Prohibited file extension .exe", TRANSIENT, BounceSubType.ATTACHMENT_REJECTED),
        (550, "5.7.1 Relaying denied", PERMANENT, BounceSubType.GENERAL),
        (550, "5.7.1 Client host blocked using zen.spamhaus.org", PERMANENT, BounceSubType.GENERAL),
        (553, "5.6.7 SMTPUTF8 not supported", PERMANENT, BounceSubType.GENERAL),
        (550, "5.1.2 Host or domain name not found", PERMANENT, BounceSubType.GENERAL),
        (550, "5.4.4 Unable to route", PERMANENT, BounceSubType.GENERAL),
        (550, "5.2.1 Mailbox disabled", PERMANENT, BounceSubType.GENERAL),
        # A specific enhanced code wins over the text.
        (550, "5.1.1 mailbox full", PERMANENT, BounceSubType.NO_EMAIL),
        (550, "5.4.4 user unknown", PERMANENT, BounceSubType.GENERAL),
    ],
)
def test_bounce_subtype_from_enhanced_code(
    code: int, text: str, bounce_type: BounceType, subtype: BounceSubType
) -> None:
    verdict = classify(parse_reply(code, text))
    assert verdict.kind is ResultKind.BOUNCED
    assert (verdict.bounce_type, verdict.bounce_subtype) == (bounce_type, subtype)
    assert verdict.status == text.split()[0]


# --- ... and from the text when the code says nothing specific --------------------------------


@pytest.mark.parametrize(
    ("code", "text", "subtype", "status"),
    [
        (550, "No such user here", BounceSubType.NO_EMAIL, "5.1.1"),
        (550, "5.0.0 User unknown in virtual mailbox table", BounceSubType.NO_EMAIL, "5.0.0"),
        (550, "Requested action not taken: mailbox unavailable", BounceSubType.NO_EMAIL, "5.1.1"),
        (550, "The recipient does not exist", BounceSubType.NO_EMAIL, "5.1.1"),
        (552, "Mailbox is full", BounceSubType.MAILBOX_FULL, "5.2.2"),
        (550, "user is over quota", BounceSubType.MAILBOX_FULL, "5.2.2"),
        (
            552,
            "Requested mail action aborted: exceeded storage allocation",
            BounceSubType.MESSAGE_TOO_LARGE,
            "5.3.4",
        ),
        (
            552,
            "Error: message size exceeds fixed maximum message size",
            BounceSubType.MESSAGE_TOO_LARGE,
            "5.3.4",
        ),
        (554, "Message too large", BounceSubType.MESSAGE_TOO_LARGE, "5.3.4"),
        (554, "Attachment blocked", BounceSubType.ATTACHMENT_REJECTED, "5.7.1"),
        (554, "Message rejected: spam detected", BounceSubType.CONTENT_REJECTED, "5.7.1"),
        (554, "5.0.0 Looks like junk", BounceSubType.CONTENT_REJECTED, "5.0.0"),
        (554, "Transaction failed", BounceSubType.GENERAL, "5.0.0"),
        (500, "Line too long", BounceSubType.GENERAL, "5.0.0"),
    ],
)
def test_bounce_subtype_and_status_from_text(
    code: int, text: str, subtype: BounceSubType, status: str
) -> None:
    verdict = classify(parse_reply(code, text))
    assert verdict.kind is ResultKind.BOUNCED
    assert verdict.bounce_subtype is subtype
    assert verdict.status == status


@pytest.mark.parametrize(
    ("code", "text", "reason", "status"),
    [
        (452, "4.2.2 Mailbox full", Reason.MAILBOX_FULL, "4.2.2"),
        (452, "Mailbox full, try later", Reason.MAILBOX_FULL, "4.2.2"),
        (451, "4.7.1 Greylisted, try again", Reason.GENERAL, "4.7.1"),
        (450, "4.7.1 Message looks like spam, try later", Reason.CONTENT_REJECTED, "4.7.1"),
        (421, "Service not available", Reason.GENERAL, "4.0.0"),
        (452, "4.3.4 Message too big for now", Reason.MESSAGE_TOO_LARGE, "4.3.4"),
    ],
)
def test_temporary_failures_carry_their_reason(code: int, text: str, reason: Reason, status: str) -> None:
    parsed = parse_reply(code, text)
    verdict = classify(parsed)
    assert verdict.kind is ResultKind.DEFERRED
    assert failure_reason(parsed) is reason
    assert verdict.reason is reason
    assert verdict.status == status == status_of(parsed)
    assert verdict.bounce_type is TRANSIENT


def test_temporary_mailbox_full_would_bounce_as_mailbox_full() -> None:
    verdict = classify(parse_reply(452, "4.2.2 Mailbox full"))
    assert verdict.bounce_subtype is BounceSubType.MAILBOX_FULL


def test_temporary_unknown_user_would_bounce_as_transient_general_not_no_email() -> None:
    # NoEmail is a Permanent subtype in SES; a deferral that runs out is Transient.
    verdict = classify(parse_reply(450, "4.1.1 User unknown, maybe later"))
    assert verdict.reason is Reason.NO_EMAIL
    assert (verdict.bounce_type, verdict.bounce_subtype) == (TRANSIENT, BounceSubType.GENERAL)


def test_delivered_reply_has_no_failure_reason() -> None:
    assert failure_reason(parse_reply(250, "user unknown")) is Reason.NONE


# --- recipient results ------------------------------------------------------------------------


def test_recipient_result_for_a_bounce_carries_everything_ses_reports() -> None:
    result = recipient_result(
        "x@example.test",
        parse_reply(550, b"5.1.1 no such user"),
        remote_mta="mx.example.test",
        reporting_mta="sesame.test",
    )
    assert result.recipient == "x@example.test"
    assert result.kind is ResultKind.BOUNCED
    assert result.smtp_response == "550 5.1.1 no such user"
    assert result.status == "5.1.1"
    assert result.remote_mta == "mx.example.test"
    assert result.reporting_mta == "sesame.test"
    assert (result.bounce_type, result.bounce_subtype) == (PERMANENT, BounceSubType.NO_EMAIL)


def test_recipient_result_for_a_deferral_has_no_bounce_fields() -> None:
    result = recipient_result("x@example.test", parse_reply(452, b"4.2.2 Mailbox full"))
    assert result.kind is ResultKind.DEFERRED
    assert result.status == "4.2.2"
    assert result.bounce_type is None and result.bounce_subtype is None


def test_recipient_result_for_a_delivery() -> None:
    result = recipient_result("x@example.test", parse_reply(250, b"2.0.0 Ok: queued as 4F"), remote_mta="mx")
    assert result.kind is ResultKind.DELIVERED
    assert result.smtp_response == "250 2.0.0 Ok: queued as 4F"
    assert result.status == "2.0.0"


def test_replies_written_by_sesame_parse_like_server_replies() -> None:
    written = reply(421, "4.4.1", "connection refused")
    assert written.enhanced == "4.4.1"
    assert written.wire == "421 4.4.1 connection refused"
    assert classify(written).kind is ResultKind.DEFERRED
