"""Taking responsibility for a received message: store its bytes, queue one task per account,
and only then give it a message id the MX may answer 250 with.

If storing or queueing fails the MX answers with a temporary failure and the sending server
tries again later; a task already queued for one account before another's failed is then
processed twice at worst (SES's delivery to actions is at-least-once too), never lost.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Sequence

from sesame.domain.receiving.admission import AccountDelivery
from sesame.domain.receiving.inbound import InboundEnvelope, InboundStore, ReceiptQueue, ReceiptTask


def new_inbound_message_id() -> str:
    """40 lower-case letters and digits, the shape of SES's ids for received mail."""
    return base64.b32encode(secrets.token_bytes(25)).decode("ascii").lower()


class MessageAcceptance:
    def __init__(self, *, store: InboundStore, queue: ReceiptQueue, clock: Callable[[], float]) -> None:
        self._store = store
        self._queue = queue
        self._clock = clock

    def accept(
        self,
        raw: bytes,
        *,
        mail_from: str,
        helo: str,
        remote_ip: str,
        tls: bool,
        deliveries: Sequence[AccountDelivery],
    ) -> str:
        """Store and queue; the message id once both are durable. Raises when either fails."""
        message_id = new_inbound_message_id()
        key = self._store.store(message_id, raw)
        envelope = InboundEnvelope(
            message_id=message_id,
            received_at=self._clock(),
            mail_from=mail_from,
            helo=helo,
            remote_ip=remote_ip,
            tls=tls,
            object_key=key,
            size=len(raw),
        )
        for delivery in deliveries:
            self._queue.enqueue(
                ReceiptTask(
                    envelope=envelope,
                    account_id=delivery.account_id,
                    recipients=delivery.recipients,
                    rule_set=delivery.rule_set,
                    rules=delivery.rules,
                )
            )
        return message_id
