"""The port through which delivery outcomes become events, notifications, suppression entries
and statistics. ``sesame.domain.sending.outcome_reporter`` implements it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sesame.domain.sending.model import QueuedMessage, RecipientResult


class DeliveryReporter(Protocol):
    def report(
        self,
        message: QueuedMessage,
        raw: bytes,
        results: Sequence[RecipientResult],
        *,
        attempt: int,
        next_attempt_at: float,
    ) -> None:
        """Report recorded outcomes: Delivery for delivered, Bounce for bounced, DeliveryDelay
        for deferred recipients (retried at ``next_attempt_at``)."""
        ...

    def complained(self, message: QueuedMessage, raw: bytes, recipients: Sequence[str]) -> None:
        """A recipient complained (the mailbox simulator; later, feedback loops)."""
        ...

    def auto_replied(self, message: QueuedMessage, recipient: str) -> None:
        """The recipient answered with an automatic reply (the simulator's ooto@)."""
        ...
