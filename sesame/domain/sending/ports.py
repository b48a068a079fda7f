"""Ports of the sending pipeline: the delivery queue and the per-recipient delivery ledger.

Adapters: ``sesame.adapters.sqs_delivery_queue`` (SQS, with large bodies spooled to S3) and
``sesame.adapters.dynamodb_delivery_ledger``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sesame.domain.sending.model import QueuedMessage, RecipientResult


@dataclass(frozen=True)
class DeliveryTask:
    """One queue message: an attempt to deliver ``message`` to ``recipients``.

    The first attempt carries every destination; a retry carries only the recipients that were
    deferred. ``not_before`` lets a retry wait longer than the queue's longest delay.
    """

    message: QueuedMessage
    recipients: tuple[str, ...]
    attempt: int = 1
    not_before: float = 0.0


class DeliveryQueue(Protocol):
    def enqueue(self, task: DeliveryTask, *, delay_seconds: int = 0) -> None:
        """Store the task durably (the body in the spool when it is large); returns only
        once the queue holds it."""
        ...

    def load_raw(self, message: QueuedMessage) -> bytes:
        """The message's bytes, from the task itself or from the spool."""
        ...

    def discard_spool(self, message: QueuedMessage) -> None:
        """Drop the spooled body once no recipient needs it any more."""
        ...


class LedgerState(StrEnum):
    SENDING = "SENDING"  # claimed by a worker that has not recorded the outcome yet
    DEFERRED = "DEFERRED"  # attempt ``attempt`` failed temporarily; a retry is (being) queued
    DELIVERED = "DELIVERED"
    BOUNCED = "BOUNCED"


@dataclass(frozen=True)
class LedgerEntry:
    state: LedgerState
    attempt: int
    lease_until: float = 0.0
    retry_queued: bool = False


class DeliveryLedger(Protocol):
    """One entry per (message, recipient), changed only by conditional writes.

    It is what makes delivery exactly-once per recipient across queue redeliveries: a worker
    sends to a recipient only after ``claim`` succeeded for that attempt, and a final outcome is
    never overwritten.
    """

    def entries(self, message_id: str, recipients: tuple[str, ...]) -> dict[str, LedgerEntry]: ...

    def claim(self, message_id: str, recipient: str, attempt: int, now: float, lease_seconds: float) -> bool:
        """Take the recipient for ``attempt``. Succeeds when no attempt has started (attempt 1),
        when the previous attempt was deferred (attempt ``n`` after a deferred ``n - 1``), or when
        the same attempt's claim lapsed (its worker died before recording an outcome)."""
        ...

    def record(self, message_id: str, result: RecipientResult, attempt: int, now: float) -> bool:
        """Record the outcome of the claimed attempt; False if the claim was lost meanwhile."""
        ...

    def mark_retry_queued(self, message_id: str, recipient: str, attempt: int) -> None:
        """Note that the retry after deferred ``attempt`` is in the queue."""
        ...
