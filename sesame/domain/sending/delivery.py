"""Delivery: a batch of queued messages becomes one SMTP session per destination domain.

The pipeline for one batch, in order:

1. Tasks whose retry time has not come are put back in the queue.
2. Each recipient is claimed in the ledger for this attempt; a recipient already finished, or
   being sent by another worker, is left alone. This is what makes a redelivered queue message
   send nothing twice.
3. Recipients that need no network are answered at once: the mailbox simulator, and addresses
   on the account's suppression list.
4. Each message is loaded (from the spool when large) and DKIM-signed once, then the remaining
   recipients are grouped by domain and sent over one connection per domain.
5. Each outcome is recorded in the ledger, then reported (events, notifications, suppression,
   statistics). Deferred recipients go back in the queue as the next attempt, after an
   exponentially growing delay, until the message is older than the maximum delivery age; then
   they bounce (Transient).

A task that fails as a whole (an AWS error, say) is returned to the caller, which leaves it in
the queue for redelivery; the ledger makes that safe.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sesame.domain.sending.model import (
    BounceSubType,
    BounceType,
    QueuedMessage,
    RecipientResult,
    ResultKind,
)
from sesame.domain.sending.ports import DeliveryLedger, DeliveryQueue, DeliveryTask, LedgerState
from sesame.domain.sending.reporting import DeliveryReporter
from sesame.domain.sending.simulator_outcomes import SimulatedOutcome, simulated_outcome
from sesame.domain.sending.transport import Envelope, Transport

log = logging.getLogger(__name__)

MAX_QUEUE_DELAY = 900  # seconds: SQS's longest delay; longer waits hop through the queue


@dataclass(frozen=True)
class DeliveryPolicy:
    retry_base: float  # seconds before the second attempt; doubles each time
    max_age: float  # seconds after acceptance when deferred recipients bounce instead
    lease_seconds: float = 300.0  # how long a claim holds before another worker may take over
    reporting_mta: str = "sesame.local"

    def retry_delay(self, attempt: int) -> float:
        """Delay before attempt ``attempt + 1`` after attempt ``attempt`` was deferred."""
        return float(self.retry_base * (2 ** max(0, attempt - 1)))


SignMessage = Callable[[QueuedMessage, bytes], bytes]
SuppressedAmong = Callable[[str, Sequence[str]], dict[str, str]]
RequiresTls = Callable[[QueuedMessage], bool]


@dataclass
class _Work:
    """What this batch does for one task."""

    index: int
    task: DeliveryTask
    claimed: list[str]
    results: list[RecipientResult]
    requeue_recipients: list[str]  # deferred by an earlier run of this attempt, retry not queued
    raw: bytes = b""  # the unsigned message, loaded once the task has recipients to answer
    # Claimed by another worker whose lease has not lapsed: it may have died, so the task stays
    # in the queue until the lease runs out and a redelivery can take the recipient over.
    busy: list[str] = field(default_factory=list)


class DeliveryService:
    def __init__(
        self,
        *,
        queue: DeliveryQueue,
        ledger: DeliveryLedger,
        transport: Transport,
        reporter: DeliveryReporter,
        sign: SignMessage,
        suppressed_among: SuppressedAmong,
        requires_tls: RequiresTls,
        policy: DeliveryPolicy,
        clock: Callable[[], float],
    ) -> None:
        self._queue = queue
        self._ledger = ledger
        self._transport = transport
        self._reporter = reporter
        self._sign = sign
        self._suppressed_among = suppressed_among
        self._requires_tls = requires_tls
        self._policy = policy
        self._clock = clock

    def deliver_batch(self, tasks: Sequence[DeliveryTask]) -> list[int]:
        """Deliver what ``tasks`` ask for; return the indexes of tasks to leave in the queue."""
        failed: list[int] = []
        work: list[_Work] = []
        for index, task in enumerate(tasks):
            try:
                prepared = self._prepare(index, task)
            except Exception:
                log.exception("delivery task %s could not be prepared", task.message.message_id)
                failed.append(index)
                continue
            if prepared is not None:
                work.append(prepared)

        sendable: list[tuple[_Work, bytes, list[str]]] = []
        for item in work:
            if not item.claimed:
                continue
            try:
                item.raw = self._queue.load_raw(item.task.message)
                network = self._answer_without_network(item)
                if network:
                    sendable.append((item, self._sign(item.task.message, item.raw), network))
            except Exception:
                log.exception("message %s could not be prepared for sending", item.task.message.message_id)
                failed.append(item.index)
        broken = set(failed)
        self._send_by_domain([s for s in sendable if s[0].index not in broken])

        for item in work:
            if item.index in broken:
                continue
            try:
                self._finish(item)
                if item.busy:
                    failed.append(item.index)
            except Exception:
                log.exception("outcomes of message %s could not be recorded", item.task.message.message_id)
                failed.append(item.index)
        return sorted(set(failed))

    # --- steps ------------------------------------------------------------------------------

    def _prepare(self, index: int, task: DeliveryTask) -> _Work | None:
        now = self._clock()
        if task.not_before > now:
            wait = task.not_before - now
            self._queue.enqueue(task, delay_seconds=int(min(wait, MAX_QUEUE_DELAY)) or 1)
            return None
        message = task.message
        claimed: list[str] = []
        refused: list[str] = []
        # Claim first: in the common case every claim succeeds and the ledger is not read.
        for recipient in dict.fromkeys(task.recipients):
            if self._ledger.claim(
                message.message_id, recipient, task.attempt, now, self._policy.lease_seconds
            ):
                claimed.append(recipient)
            else:
                refused.append(recipient)
        requeue: list[str] = []
        busy: list[str] = []
        entries = self._ledger.entries(message.message_id, tuple(refused)) if refused else {}
        for recipient in refused:
            entry = entries.get(recipient)
            if entry is None or entry.state in (LedgerState.DELIVERED, LedgerState.BOUNCED):
                continue
            if entry.state is LedgerState.DEFERRED and entry.attempt == task.attempt:
                # Deferred by an earlier run of this very task that stopped before queueing
                # the retry: queue it now rather than losing the recipient.
                if not entry.retry_queued:
                    requeue.append(recipient)
            elif entry.state is LedgerState.SENDING and entry.attempt == task.attempt:
                busy.append(recipient)
            # Anything else belongs to another attempt: this copy of the task is stale.
        return _Work(
            index=index, task=task, claimed=claimed, results=[], requeue_recipients=requeue, busy=busy
        )

    def _answer_without_network(self, item: _Work) -> list[str]:
        """Answer simulator and suppressed recipients; return those that need SMTP."""
        message = item.task.message
        network: list[str] = []
        for recipient in item.claimed:
            outcome = simulated_outcome(recipient, reporting_mta=self._policy.reporting_mta)
            if outcome is None:
                network.append(recipient)
                continue
            item.results.append(outcome.result)
            self._report_simulated(item, outcome)
        if network and item.task.attempt == 1:
            suppressed = self._suppressed_among(message.account_id, network)
            for recipient in [r for r in network if r in suppressed]:
                network.remove(recipient)
                item.results.append(
                    RecipientResult(
                        recipient=recipient,
                        kind=ResultKind.BOUNCED,
                        smtp_response="550 5.1.1 Recipient address is on the account's suppression list",
                        status="5.1.1",
                        reporting_mta=self._policy.reporting_mta,
                        bounce_type=BounceType.PERMANENT,
                        bounce_subtype=BounceSubType.ON_ACCOUNT_SUPPRESSION_LIST,
                    )
                )
        return network

    def _report_simulated(self, item: _Work, outcome: SimulatedOutcome) -> None:
        if outcome.complaint:
            self._reporter.complained(item.task.message, item.raw, [outcome.result.recipient])
        if outcome.auto_reply:
            self._reporter.auto_replied(item.task.message, outcome.result.recipient)

    def _send_by_domain(self, sendable: list[tuple[_Work, bytes, list[str]]]) -> None:
        by_domain: dict[str, list[tuple[_Work, bytes, list[str]]]] = defaultdict(list)
        for item, raw, recipients in sendable:
            groups: dict[str, list[str]] = defaultdict(list)
            for recipient in recipients:
                groups[recipient.rpartition("@")[2].lower()].append(recipient)
            for domain, members in groups.items():
                by_domain[domain].append((item, raw, members))
        for domain, jobs in by_domain.items():
            try:
                with self._transport.session(domain) as session:
                    for item, raw, members in jobs:
                        message = item.task.message
                        envelope = Envelope(
                            message_id=message.message_id,
                            mail_from=message.mail_from,
                            recipients=tuple(members),
                            message=raw,
                            require_tls=self._requires_tls(message),
                        )
                        item.results.extend(session.send(envelope))
            except Exception as error:
                # A session that fails outside a transaction defers whatever it had not sent.
                log.warning("SMTP session for %s failed: %s", domain, error)
                for item, _raw, members in jobs:
                    done = {r.recipient for r in item.results}
                    item.results.extend(
                        RecipientResult(
                            recipient=r,
                            kind=ResultKind.DEFERRED,
                            smtp_response=f"451 4.4.0 Delivery failed: {error}",
                            status="4.4.0",
                            reporting_mta=self._policy.reporting_mta,
                        )
                        for r in members
                        if r not in done
                    )

    def _finish(self, item: _Work) -> None:
        now = self._clock()
        task = item.task
        message = task.message
        expired = now - message.created_at >= self._policy.max_age
        recorded: list[RecipientResult] = []
        for result in item.results:
            final = result
            if result.kind is ResultKind.DEFERRED and expired:
                final = replace(
                    result,
                    kind=ResultKind.BOUNCED,
                    bounce_type=BounceType.TRANSIENT,
                    bounce_subtype=BounceSubType.GENERAL,
                )
            final = replace(final, processing_ms=int(max(0.0, now - message.created_at) * 1000))
            if self._ledger.record(message.message_id, final, task.attempt, now):
                recorded.append(final)
            else:
                log.warning(
                    "claim on %s for %s was lost; outcome not reported", message.message_id, final.recipient
                )
        if recorded:
            self._reporter.report(
                message,
                item.raw,
                recorded,
                attempt=task.attempt,
                next_attempt_at=now + self._policy.retry_delay(task.attempt),
            )
        deferred = [r.recipient for r in recorded if r.kind is ResultKind.DEFERRED]
        deferred += item.requeue_recipients
        if deferred:
            delay = self._policy.retry_delay(task.attempt)
            retry = DeliveryTask(
                message=message,
                recipients=tuple(deferred),
                attempt=task.attempt + 1,
                not_before=now + delay,
            )
            self._queue.enqueue(retry, delay_seconds=int(min(delay, MAX_QUEUE_DELAY)))
            for recipient in deferred:
                self._ledger.mark_retry_queued(message.message_id, recipient, task.attempt)
        elif message.spool_key is not None and self._all_final(message):
            self._queue.discard_spool(message)

    def _all_final(self, message: QueuedMessage) -> bool:
        entries = self._ledger.entries(message.message_id, message.destinations)
        return all(
            entries.get(r) is not None and entries[r].state in (LedgerState.DELIVERED, LedgerState.BOUNCED)
            for r in message.destinations
        )
