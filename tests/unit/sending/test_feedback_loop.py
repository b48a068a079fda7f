"""Matching reports sent to a VERP envelope sender back to the message they are about."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sesame.domain.sending.feedback_loop import FeedbackLoop, SentMessage, message_id_of
from sesame.domain.sending.model import BounceType, QueuedMessage, RecipientResult

MESSAGE_ID = "0100019ac0ffee00-8d4f3f0e-3c8a-4d0e-9a51-0f6e6b2b1c7d-000000"
MAIL_FROM = f"{MESSAGE_ID}@sesame.localhost"


class RememberedMessages:
    def __init__(self, *messages: QueuedMessage) -> None:
        self._messages = {m.message_id: SentMessage(m, b"Subject: News") for m in messages}

    def remember(self, message: QueuedMessage, header_section: bytes, *, now: float) -> None:
        self._messages[message.message_id] = SentMessage(message, header_section)

    def find(self, message_id: str) -> SentMessage | None:
        return self._messages.get(message_id)


class RecordingReporter:
    def __init__(self) -> None:
        self.bounces: list[tuple[str, bytes, list[RecipientResult]]] = []
        self.complaints: list[tuple[str, list[str], dict[str, Any]]] = []

    def bounced_later(self, message: QueuedMessage, raw: bytes, results: Sequence[RecipientResult]) -> None:
        self.bounces.append((message.message_id, raw, list(results)))

    def complained(
        self,
        message: QueuedMessage,
        raw: bytes,
        recipients: Sequence[str],
        *,
        feedback_type: str | None = "abuse",
        user_agent: str | None = None,
        arrival_date: float | None = None,
    ) -> None:
        self.complaints.append(
            (message.message_id, list(recipients), {"type": feedback_type, "agent": user_agent})
        )


def sent(*destinations: str) -> QueuedMessage:
    return QueuedMessage(
        message_id=MESSAGE_ID,
        account_id="111122223333",
        source="news@sender.test",
        mail_from=MAIL_FROM,
        destinations=destinations,
        sending_identity="sender.test",
        created_at=1_700_000_000.0,
    )


def multipart_report(report_type: str, machine_type: str, fields: str) -> bytes:
    return (
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="x"\r\n\r\n'
        "--x\r\nContent-Type: text/plain\r\n\r\ntext\r\n"
        f"--x\r\nContent-Type: {machine_type}\r\n\r\n{fields}\r\n"
        "--x--\r\n"
    ).encode()


DSN = multipart_report(
    "delivery-status",
    "message/delivery-status",
    "Reporting-MTA: dns; mx.inbox.test\r\n\r\n"
    "Final-Recipient: rfc822; gone@inbox.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    "Final-Recipient: rfc822; stranger@inbox.test\r\nAction: failed\r\nStatus: 5.1.1\r\n",
)


def test_the_message_id_is_read_from_a_verp_address_only() -> None:
    assert message_id_of(f"<{MAIL_FROM}>") == MESSAGE_ID
    assert message_id_of("postmaster@sesame.localhost") is None
    assert message_id_of(MESSAGE_ID) is None


def test_only_the_envelope_sender_of_a_remembered_message_is_taken() -> None:
    loop = FeedbackLoop(sent=RememberedMessages(sent("gone@inbox.test")), reporter=RecordingReporter())
    assert loop.takes(MAIL_FROM)
    assert not loop.takes(f"{MESSAGE_ID}@elsewhere.test")
    assert not loop.takes(MAIL_FROM.replace("0100019ac0ffee00", "0100019ac0ffee01"))


def test_a_dsn_reports_bounces_only_for_recipients_the_message_was_sent_to() -> None:
    reporter = RecordingReporter()
    loop = FeedbackLoop(sent=RememberedMessages(sent("gone@inbox.test")), reporter=reporter)
    loop.process(MAIL_FROM, DSN)
    ((message_id, headers, results),) = reporter.bounces
    assert message_id == MESSAGE_ID
    assert headers.startswith(b"Subject: News\r\n\r\n")
    assert [(r.recipient, r.bounce_type) for r in results] == [("gone@inbox.test", BounceType.PERMANENT)]


def test_a_feedback_report_without_a_named_recipient_is_a_complaint_from_the_only_recipient() -> None:
    reporter = RecordingReporter()
    loop = FeedbackLoop(sent=RememberedMessages(sent("ann@inbox.test")), reporter=reporter)
    arf = multipart_report(
        "feedback-report", "message/feedback-report", "Feedback-Type: abuse\r\nUser-Agent: X/1\r\n"
    )
    loop.process(MAIL_FROM, arf)
    assert reporter.complaints == [(MESSAGE_ID, ["ann@inbox.test"], {"type": "abuse", "agent": "X/1"})]


def test_other_mail_to_the_address_and_reports_about_unknown_messages_are_dropped() -> None:
    reporter = RecordingReporter()
    loop = FeedbackLoop(sent=RememberedMessages(sent("ann@inbox.test")), reporter=reporter)
    loop.process(MAIL_FROM, b"Subject: out of office\r\n\r\nback monday\r\n")
    loop.process(MAIL_FROM.replace("0100019ac0ffee00", "0100019ac0ffee01"), DSN)
    assert reporter.bounces == [] and reporter.complaints == []
