"""What an SMTP reply means for one recipient: delivered, deferred or bounced, and how SES names it.

A reply is a basic code (RFC 5321), usually an enhanced status code at the start of its text
(RFC 3463, RFC 2034), and free text. From it we derive:

- the outcome: 2xx delivered, 4xx deferred (try again), 5xx bounced; any other code is a
  protocol error and is treated as temporary;
- the ``status`` SES reports: the server's enhanced code, or one derived from the basic code and
  the reason when the server gave none;
- SES's ``bounceType`` / ``bounceSubType`` as the SES developer guide documents them. Permanent
  bounces are ``General`` or ``NoEmail``; the others (``MailboxFull``, ``MessageTooLarge``,
  ``ContentRejected``, ``AttachmentRejected``, and ``General`` for an expired deferral) are
  Transient, since the same recipient may accept a later message;
- SES's ``diagnosticCode``: ``"smtp; "`` and the reply as the server sent it, continuation lines
  kept (``550-5.1.1 ...\\n550 5.1.1 ...``).

A 4xx reply is classified too: its bounce type and subtype say what the bounce would be if the
retries ran out, and reporting can name the reason for a delay from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sesame.domain.sending.model import BounceSubType, BounceType, RecipientResult, ResultKind

_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")
_WIRE_LINE = re.compile(r"^(\d{3})([ -]?)(.*)$")


@dataclass(frozen=True)
class SmtpReply:
    """One reply: its basic code and the text of each line, without the code but with any
    enhanced status code the server put there (as smtplib returns them)."""

    code: int
    lines: tuple[str, ...] = ("",)

    @property
    def enhanced(self) -> str:
        """The enhanced status code the server gave, "" when none (or one whose class
        disagrees with the basic code, which RFC 3463 does not allow)."""
        match = _ENHANCED.match(self.lines[0]) if self.lines else None
        if match is None or match.group(1) != str(self.code)[:1]:
            return ""
        return match.group(0)

    @property
    def text(self) -> str:
        """The human-readable text, lines joined by spaces, enhanced codes left out."""
        enhanced = self.enhanced
        parts = []
        for line in self.lines:
            if enhanced and line.startswith(enhanced):
                line = line[len(enhanced) :]
            parts.append(line.strip())
        return " ".join(part for part in parts if part)

    @property
    def wire(self) -> str:
        """The reply as it travelled, one line per server line: ``550-first\\n550 last``."""
        lines = self.lines or ("",)
        rendered = [
            f"{self.code}{'-' if i < len(lines) - 1 else ' '}{line}".rstrip() for i, line in enumerate(lines)
        ]
        return "\n".join(rendered)


def parse_reply(code: int, message: bytes | str) -> SmtpReply:
    """A reply as smtplib hands it over: ``(code, b"line one\\nline two")``."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    lines = tuple(line.rstrip("\r") for line in text.split("\n")) if text else ("",)
    return SmtpReply(code=code, lines=lines)


def parse_reply_line(reply: str) -> SmtpReply:
    """A reply in its wire form (``"550 5.1.1 no such user"``, several lines joined by newlines,
    optionally behind SES's ``"smtp; "``), e.g. a recorded ``smtp_response``."""
    if reply.lower().startswith("smtp;"):
        reply = reply[5:].lstrip()
    code = 0
    lines: list[str] = []
    for raw in reply.split("\n"):
        match = _WIRE_LINE.match(raw.rstrip("\r"))
        if match is None:
            lines.append(raw.strip())
            continue
        code = code or int(match.group(1))
        lines.append(match.group(3))
    if code == 0:
        raise ValueError(f"not an SMTP reply: {reply!r}")
    return SmtpReply(code=code, lines=tuple(lines) or ("",))


def reply(code: int, enhanced: str, text: str) -> SmtpReply:
    """A reply Sesame writes itself (a connection failure, a refusal to send in clear)."""
    return SmtpReply(code=code, lines=(f"{enhanced} {text}".strip(),))


class Reason(StrEnum):
    """Why a reply failed, as far as its codes and text tell."""

    NONE = "None"  # delivered
    NO_EMAIL = "NoEmail"
    MAILBOX_FULL = "MailboxFull"
    MESSAGE_TOO_LARGE = "MessageTooLarge"
    ATTACHMENT_REJECTED = "AttachmentRejected"
    CONTENT_REJECTED = "ContentRejected"
    GENERAL = "General"


# Text that identifies a reason when the status code does not (no enhanced code, X.0.0), or
# tells a content refusal from other policy refusals (X.7.Y).
_NO_EMAIL_TEXT = re.compile(
    r"user unknown|unknown user|unknown (recipient|mailbox|address)|no such (user|mailbox|recipient|address)"
    r"|mailbox (unavailable|not found|does not exist)|user not found|recipient not found"
    r"|(user|recipient|address|mailbox|account) (does not|doesn't) exist|invalid (recipient|mailbox)",
    re.IGNORECASE,
)
_MAILBOX_FULL_TEXT = re.compile(
    r"mailbox (is )?full|over ?quota|quota exceeded|exceeded (its |the )?quota|storage (quota|limit) exceeded"
    r"|insufficient (user )?storage|mailbox (size )?limit exceeded|out of storage",
    re.IGNORECASE,
)
_TOO_LARGE_TEXT = re.compile(
    r"too (large|big)|message too long|size exceeds|exceeds (the )?(maximum|fixed|size|message size)"
    r"|message size|size limit",
    re.IGNORECASE,
)
_ATTACHMENT_TEXT = re.compile(
    r"attachment|file (type|extension|name)|blocked (file|extension)|executable|prohibited file",
    re.IGNORECASE,
)
_CONTENT_TEXT = re.compile(
    r"\bspam\b|\bspammy\b|\bjunk\b|content|unsolicited|\bbulk\b|phish|malware|virus",
    re.IGNORECASE,
)

# The reason a specific enhanced status code gives on its own (subject.detail).
_REASON_BY_STATUS = {
    (1, 0): Reason.NO_EMAIL,  # other address status
    (1, 1): Reason.NO_EMAIL,  # bad destination mailbox address
    (1, 10): Reason.NO_EMAIL,  # recipient address has null MX (RFC 7505)
    (2, 2): Reason.MAILBOX_FULL,  # mailbox full
    (2, 3): Reason.MESSAGE_TOO_LARGE,  # message length exceeds administrative limit
    (3, 4): Reason.MESSAGE_TOO_LARGE,  # message too big for system
    # Internationalised mail the server cannot take (RFC 6531, RFC 6533): about addresses and
    # headers, not the content.
    (6, 7): Reason.GENERAL,
    (6, 8): Reason.GENERAL,
    (6, 9): Reason.GENERAL,
    (6, 10): Reason.GENERAL,
}

# The enhanced code to report when the server gave none: class from the basic code, the rest
# from the reason.
_STATUS_BY_REASON = {
    Reason.NONE: "0.0",
    Reason.GENERAL: "0.0",
    Reason.NO_EMAIL: "1.1",
    Reason.MAILBOX_FULL: "2.2",
    Reason.MESSAGE_TOO_LARGE: "3.4",
    Reason.ATTACHMENT_REJECTED: "7.1",
    Reason.CONTENT_REJECTED: "7.1",
}

_SUBTYPE_BY_REASON = {
    Reason.NO_EMAIL: BounceSubType.NO_EMAIL,
    Reason.MAILBOX_FULL: BounceSubType.MAILBOX_FULL,
    Reason.MESSAGE_TOO_LARGE: BounceSubType.MESSAGE_TOO_LARGE,
    Reason.ATTACHMENT_REJECTED: BounceSubType.ATTACHMENT_REJECTED,
    Reason.CONTENT_REJECTED: BounceSubType.CONTENT_REJECTED,
    Reason.GENERAL: BounceSubType.GENERAL,
}

# SES's bounce types: only a missing address and a general hard failure are Permanent.
_PERMANENT_REASONS = frozenset({Reason.NO_EMAIL, Reason.GENERAL})


@dataclass(frozen=True)
class ReplyClassification:
    kind: ResultKind
    reason: Reason
    status: str  # enhanced status code, e.g. "5.1.1"
    # For 5xx the bounce as SES reports it; for 4xx the bounce it would become if retries ran out.
    bounce_type: BounceType | None
    bounce_subtype: BounceSubType | None
    smtp_response: str  # the reply in wire form
    diagnostic_code: str  # "smtp; " + smtp_response


def _text_reason(text: str, code: int) -> Reason:
    if _NO_EMAIL_TEXT.search(text):
        return Reason.NO_EMAIL
    if _MAILBOX_FULL_TEXT.search(text):
        return Reason.MAILBOX_FULL
    if _TOO_LARGE_TEXT.search(text):
        return Reason.MESSAGE_TOO_LARGE
    if _ATTACHMENT_TEXT.search(text):
        return Reason.ATTACHMENT_REJECTED
    if _CONTENT_TEXT.search(text):
        return Reason.CONTENT_REJECTED
    if code == 552:
        # RFC 5321's "exceeded storage allocation": at DATA, a message larger than allowed.
        return Reason.MESSAGE_TOO_LARGE
    return Reason.GENERAL


def failure_reason(reply: SmtpReply) -> Reason:
    """The reason behind a 4xx/5xx reply: the enhanced code when it is specific, the text
    otherwise; within security/policy (X.7.Y) and media (X.6.Y) the text tells content and
    attachment refusals from the rest."""
    if 200 <= reply.code < 300:
        return Reason.NONE
    text = reply.text
    enhanced = reply.enhanced
    if not enhanced:
        return _text_reason(text, reply.code)
    _, subject, detail = (int(part) for part in enhanced.split("."))
    if (subject, detail) in _REASON_BY_STATUS:
        return _REASON_BY_STATUS[(subject, detail)]
    if subject == 0 and detail == 0:
        return _text_reason(text, reply.code)
    if subject in (6, 7):
        if _ATTACHMENT_TEXT.search(text):
            return Reason.ATTACHMENT_REJECTED
        if subject == 6 or _CONTENT_TEXT.search(text):
            return Reason.CONTENT_REJECTED
    return Reason.GENERAL


def status_of(reply: SmtpReply, reason: Reason | None = None) -> str:
    """The enhanced status code to report: the server's, else one derived from the basic code."""
    if reply.enhanced:
        return reply.enhanced
    reason = failure_reason(reply) if reason is None else reason
    first = str(reply.code)[:1]
    if first not in ("2", "4", "5"):
        first = "4"  # not a final reply: a protocol error, temporary by nature
    return f"{first}.{_STATUS_BY_REASON[reason]}"


def classify(reply: SmtpReply) -> ReplyClassification:
    reason = failure_reason(reply)
    status = status_of(reply, reason)
    wire = reply.wire
    if 200 <= reply.code < 300:
        kind = ResultKind.DELIVERED
        bounce_type: BounceType | None = None
        subtype: BounceSubType | None = None
    else:
        permanent = 500 <= reply.code < 600
        kind = ResultKind.BOUNCED if permanent else ResultKind.DEFERRED
        if reason in _PERMANENT_REASONS:
            bounce_type = BounceType.PERMANENT if permanent else BounceType.TRANSIENT
            # A temporary failure that runs out of time is a Transient General bounce in SES.
            subtype = _SUBTYPE_BY_REASON[reason] if permanent else BounceSubType.GENERAL
        else:
            bounce_type = BounceType.TRANSIENT
            subtype = _SUBTYPE_BY_REASON[reason]
    return ReplyClassification(
        kind=kind,
        reason=reason,
        status=status,
        bounce_type=bounce_type,
        bounce_subtype=subtype,
        smtp_response=wire,
        diagnostic_code=f"smtp; {wire}",
    )


def recipient_result(
    recipient: str, reply: SmtpReply, *, remote_mta: str = "", reporting_mta: str = ""
) -> RecipientResult:
    """The outcome for one recipient; bounce fields are set only when it bounced."""
    verdict = classify(reply)
    bounced = verdict.kind is ResultKind.BOUNCED
    return RecipientResult(
        recipient=recipient,
        kind=verdict.kind,
        smtp_response=verdict.smtp_response,
        status=verdict.status,
        remote_mta=remote_mta,
        reporting_mta=reporting_mta,
        bounce_type=verdict.bounce_type if bounced else None,
        bounce_subtype=verdict.bounce_subtype if bounced else None,
    )
