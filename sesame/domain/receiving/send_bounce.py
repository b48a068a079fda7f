"""SendBounce: a bounce, sent on the account's behalf, for a message it received.

As in SES, the original message must be one the account received in the last 24 hours, the
bounce sender must be a verified identity of the account, and each bounced recipient gives a
BounceType (which implies the status and diagnostic) or its own DSN fields. The report goes out
through the sending pipeline from the null reverse path to the original envelope sender.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sesame.domain.errors import InvalidParameterValue, MessageRejected
from sesame.domain.receiving.action_ports import BounceMailer
from sesame.domain.receiving.bounce_dsn import BouncedRecipient, build_bounce_dsn
from sesame.domain.receiving.inbound import InboundStore, ReceiptLedger

MAX_AGE = 24 * 3600.0
DEFAULT_EXPLANATION = "Your message could not be delivered to the following recipients."

# BounceType -> (DSN action, status, SMTP reply) for recipients without their own DSN fields.
_BOUNCE_TYPES = {
    "DoesNotExist": ("failed", "5.1.1", "550 5.1.1 Mailbox does not exist"),
    "MessageTooLarge": ("failed", "5.3.4", "552 5.3.4 Message too large"),
    "ExceededQuota": ("failed", "5.2.2", "552 5.2.2 Mailbox full"),
    "ContentRejected": ("failed", "5.3.0", "550 5.3.0 Message content rejected"),
    "Undefined": ("failed", "5.0.0", "550 5.0.0 Undeliverable"),
    "TemporaryFailure": ("delayed", "4.0.0", "450 4.0.0 Temporary failure"),
}


@dataclass(frozen=True)
class BounceRecipientInfo:
    recipient: str
    bounce_type: str | None = None
    # RecipientDsnFields, when given: they win over what the bounce type implies.
    action: str | None = None
    status: str | None = None
    final_recipient: str | None = None
    remote_mta: str | None = None
    diagnostic_code: str | None = None
    last_attempt: float | None = None
    extension_fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BounceRequest:
    original_message_id: str
    bounce_sender: str
    recipients: tuple[BounceRecipientInfo, ...]
    explanation: str | None = None
    reporting_mta: str | None = None
    arrival_date: float | None = None
    extension_fields: tuple[tuple[str, str], ...] = ()


def _bounced(info: BounceRecipientInfo) -> BouncedRecipient:
    implied = _BOUNCE_TYPES.get(info.bounce_type or "")
    if implied is None and info.status is None:
        raise InvalidParameterValue(
            f"Recipient {info.recipient} needs a BounceType or RecipientDsnFields with a Status."
        )
    action, status, reply = implied or ("failed", "", "")
    return BouncedRecipient(
        recipient=info.recipient,
        action=info.action or action,
        status=info.status or status,
        final_recipient=info.final_recipient,
        remote_mta=info.remote_mta,
        diagnostic_code=info.diagnostic_code or (f"smtp; {reply}" if reply else None),
        last_attempt=info.last_attempt,
        extension_fields=info.extension_fields,
    )


class ReceiptBounces:
    def __init__(
        self,
        *,
        ledger: ReceiptLedger,
        store: InboundStore | None,
        sender_verified: Callable[[str, str], bool],
        mailer: BounceMailer,
        mail_host_name: str,
        clock: Callable[[], float],
    ) -> None:
        self._ledger = ledger
        self._store = store
        self._sender_verified = sender_verified
        self._mailer = mailer
        self._host = mail_host_name
        self._clock = clock

    def send_bounce(self, account_id: str, request: BounceRequest) -> str:
        if not request.recipients:
            raise InvalidParameterValue("BouncedRecipientInfoList must name at least one recipient.")
        bounced = [_bounced(info) for info in request.recipients]
        store = self._store
        if store is None:
            raise MessageRejected("Receiving is not set up in this deployment: there is no received mail.")
        received = self._ledger.get(request.original_message_id, account_id)
        now = self._clock()
        if received is None or now - received.received_at > MAX_AGE:
            raise MessageRejected(
                f"Message {request.original_message_id} was not received by this account "
                "in the last 24 hours."
            )
        if not received.mail_from:
            raise MessageRejected("The original message has no sender to bounce it to (null reverse path).")
        if not self._sender_verified(account_id, request.bounce_sender):
            raise MessageRejected(f"Email address is not verified: {request.bounce_sender}")
        dsn = build_bounce_dsn(
            sender=request.bounce_sender,
            to_address=received.mail_from,
            explanation=request.explanation or DEFAULT_EXPLANATION,
            reporting_mta=request.reporting_mta or self._host,
            arrival=request.arrival_date if request.arrival_date is not None else received.received_at,
            at=now,
            recipients=bounced,
            original_message=store.load(received.object_key),
            report_id=secrets.token_hex(16),
            mail_host_name=self._host,
            extension_fields=request.extension_fields,
        )
        return self._mailer.send_report(account_id, received.mail_from, dsn)
