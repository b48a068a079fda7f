"""A received message on its way from the MX to the actions, and the ports that carry it.

The MX stores the message's bytes exactly as received (``InboundStore``) and then queues one
``ReceiptTask`` per account that has recipients in it (``ReceiptQueue``); only then does it
answer 250. The task carries the account's rules as they were when the message arrived: SES
evaluates a message against the rule set active at the time of its receipt, also when its
actions are retried hours later. Each account's progress through its actions is kept in the
``ReceiptLedger``, so a retried or redelivered task never repeats an action that completed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sesame.domain.receiving.rule_model import ReceiptRule


@dataclass(frozen=True)
class InboundEnvelope:
    """What the SMTP session said about the message."""

    message_id: str
    received_at: float  # epoch seconds of the 250 to DATA
    mail_from: str  # "" for the null reverse path
    helo: str
    remote_ip: str
    tls: bool
    object_key: str  # where the inbound store keeps the bytes
    size: int


@dataclass(frozen=True)
class ReceiptTask:
    envelope: InboundEnvelope
    account_id: str
    recipients: tuple[str, ...]  # the account's accepted RCPT TO addresses
    rule_set: str  # the account's active rule set at receipt
    rules: tuple[ReceiptRule, ...]  # its enabled rules that match a recipient, in order
    attempt: int = 1
    not_before: float = 0.0  # a retry waits until then, longer than the queue's longest delay


@dataclass(frozen=True)
class Position:
    """The next action to run: rule ``rule`` (index in the task's rules), action ``action``."""

    rule: int = 0
    action: int = 0


@dataclass(frozen=True)
class ReceiptProgress:
    message_id: str
    account_id: str
    received_at: float
    mail_from: str
    recipients: tuple[str, ...]
    object_key: str
    rule_set: str
    position: Position = field(default_factory=Position)
    added_headers: tuple[tuple[str, str], ...] = ()  # AddHeader actions run so far, in order
    # The verdicts, computed once: the receipt object's verdict fields and the header fields.
    verdict_fields: dict[str, Any] | None = None
    verdict_headers: tuple[tuple[str, str], ...] = ()
    finished: bool = False
    version: int = 0
    lease_until: float = 0.0


class InboundStore(Protocol):
    def store(self, message_id: str, raw: bytes) -> str:
        """Store the bytes durably; return their key. Returns only once they are stored."""
        ...

    def load(self, key: str) -> bytes: ...


class ReceiptQueue(Protocol):
    def enqueue(self, task: ReceiptTask, *, delay_seconds: int = 0) -> None:
        """Queue the task durably; returns only once the queue holds it."""
        ...


class ReceiptLedger(Protocol):
    def claim(self, progress: ReceiptProgress, *, now: float, lease_seconds: float) -> ReceiptProgress | None:
        """The stored progress of (message, account), created from ``progress`` when there is
        none, now leased to the caller until ``now + lease_seconds``; None while another
        worker's lease runs."""
        ...

    def save(self, progress: ReceiptProgress) -> bool:
        """Store ``progress`` if the stored version is still ``progress.version - 1``."""
        ...

    def get(self, message_id: str, account_id: str) -> ReceiptProgress | None: ...
