"""One account's copy of a received message, through its rules in order and each rule's actions
in order.

1. The (message, account) progress is claimed in the ledger: a task redelivered while another
   worker holds it waits; one whose progress is finished does nothing.
2. The verdicts are evaluated once (scanning when any of the rules asks for it) and kept with
   the progress, so retries see the same ones.
3. From the recorded position on, each action runs and the position moves past it, recorded
   before the next one starts: an action that completed is never run again for this message.
   AddHeader fields are recorded with the position. A Stop action or a Lambda's STOP_RULE_SET
   ends the rule set; STOP_RULE skips the rest of the rule.
4. A failing action is counted (PublishFailure) and logged, and the task goes back in the queue
   to try it again, after retry_base seconds and doubling, the actions after it waiting. Once
   the message is older than max_age (SES: 4 hours) a failing action is given up: counted
   (PublishExpired), logged, and the next action runs. An action that can never succeed (SNS
   content over 150 KB) is counted and logged and the next one runs at once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from sesame.domain.receiving.action_ports import ActionFailed, PermanentActionFailure, ReceivingMetrics
from sesame.domain.receiving.actions import ActionInput, ActionRunner, Disposition
from sesame.domain.receiving.inbound import (
    InboundStore,
    Position,
    ReceiptLedger,
    ReceiptProgress,
    ReceiptQueue,
    ReceiptTask,
)
from sesame.domain.receiving.matching import rule_recipients
from sesame.domain.receiving.receipt_records import UNAVAILABLE_VERDICTS, compose, trace_fields

log = logging.getLogger(__name__)

MAX_QUEUE_DELAY = 900  # seconds: SQS's longest delay; longer waits hop through the queue


class VerdictReport(Protocol):
    @property
    def headers(self) -> tuple[tuple[str, str], ...]: ...

    def receipt_fields(self) -> dict[str, Any]: ...


class VerdictSource(Protocol):
    def evaluate(
        self, raw: bytes, *, client_ip: str, helo: str, mail_from: str, scan: bool
    ) -> VerdictReport: ...


@dataclass(frozen=True)
class ReceiptPolicy:
    retry_base: float  # seconds before the second attempt of a failed action; doubles
    max_age: float  # seconds after receipt when a failing action is given up (SES: 4 hours)
    lease_seconds: float = 300.0

    def retry_delay(self, attempt: int) -> float:
        return float(self.retry_base * (2 ** max(0, attempt - 1)))


class TaskOutcome(StrEnum):
    DONE = "DONE"
    RETRY_QUEUED = "RETRY_QUEUED"  # a failed action waits; the task is back in the queue
    BUSY = "BUSY"  # another worker holds the message: leave the task for a redelivery


class ReceiptProcessor:
    def __init__(
        self,
        *,
        store: InboundStore,
        ledger: ReceiptLedger,
        queue: ReceiptQueue,
        actions: ActionRunner,
        verdicts: VerdictSource | None,
        metrics: ReceivingMetrics,
        policy: ReceiptPolicy,
        mail_host_name: str,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._ledger = ledger
        self._queue = queue
        self._actions = actions
        self._verdicts = verdicts
        self._metrics = metrics
        self._policy = policy
        self._host = mail_host_name
        self._clock = clock

    def process(self, task: ReceiptTask) -> TaskOutcome:
        envelope = task.envelope
        now = self._clock()
        if task.not_before > now:
            self._requeue(task, task.not_before - now)
            return TaskOutcome.RETRY_QUEUED
        claimed = self._ledger.claim(
            ReceiptProgress(
                message_id=envelope.message_id,
                account_id=task.account_id,
                received_at=envelope.received_at,
                mail_from=envelope.mail_from,
                recipients=task.recipients,
                object_key=envelope.object_key,
                rule_set=task.rule_set,
            ),
            now=now,
            lease_seconds=self._policy.lease_seconds,
        )
        if claimed is None:
            return TaskOutcome.BUSY
        progress = claimed
        if progress.finished:
            return TaskOutcome.DONE
        raw = self._store.load(envelope.object_key)
        if progress.verdict_fields is None:
            fields, headers = self._evaluate(raw, task)
            with_verdicts = self._saved(replace(progress, verdict_fields=fields, verdict_headers=headers))
            if with_verdicts is None:
                return TaskOutcome.BUSY
            progress = with_verdicts
        return self._run_actions(task, progress, raw)

    def _run_actions(self, task: ReceiptTask, progress: ReceiptProgress, raw: bytes) -> TaskOutcome:
        trace = trace_fields(task.envelope, task.recipients, mail_host_name=self._host)
        rules = task.rules
        rule_index, action_index = progress.position.rule, progress.position.action
        added = list(progress.added_headers)
        finished = False
        while rule_index < len(rules) and not finished:
            rule = rules[rule_index]
            if action_index >= len(rule.actions):
                rule_index, action_index = rule_index + 1, 0
                continue
            action = rule.actions[action_index]
            given = ActionInput(
                account_id=task.account_id,
                rule_set=task.rule_set,
                rule_name=rule.name,
                envelope=task.envelope,
                recipients=rule_recipients(rule, task.recipients),
                message=compose(raw, trace, progress.verdict_headers, added),
                verdict_fields=progress.verdict_fields or UNAVAILABLE_VERDICTS,
            )
            try:
                result = self._actions.run(action, given)
            except PermanentActionFailure as failure:
                self._count_failure(task, rule.name, failure, expired=False)
                action_index += 1
            except Exception as failure:  # any failure of an action is retried, never lost
                if not isinstance(failure, ActionFailed):
                    log.exception("receipt action %s of rule %s raised", type(action).__name__, rule.name)
                expired = self._clock() - task.envelope.received_at >= self._policy.max_age
                self._count_failure(task, rule.name, failure, expired=expired)
                if not expired:
                    return self._retry_later(task, progress, Position(rule_index, action_index), added)
                action_index += 1
            else:
                if result.header is not None:
                    added.append(result.header)
                if result.disposition is Disposition.STOP_RULE_SET:
                    finished = True
                elif result.disposition is Disposition.STOP_RULE:
                    rule_index, action_index = rule_index + 1, 0
                else:
                    action_index += 1
            saved = self._saved(
                replace(
                    progress,
                    position=Position(rule_index, action_index),
                    added_headers=tuple(added),
                    finished=finished,
                )
            )
            if saved is None:
                return TaskOutcome.BUSY
            progress = saved
        if not progress.finished:
            done = self._saved(replace(progress, finished=True, lease_until=0.0))
            if done is None:
                return TaskOutcome.BUSY
        return TaskOutcome.DONE

    def _evaluate(self, raw: bytes, task: ReceiptTask) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
        if self._verdicts is None:
            return dict(UNAVAILABLE_VERDICTS), ()
        envelope = task.envelope
        try:
            report = self._verdicts.evaluate(
                raw,
                client_ip=envelope.remote_ip,
                helo=envelope.helo,
                mail_from=envelope.mail_from,
                scan=any(rule.scan_enabled for rule in task.rules),
            )
        except Exception:
            # The verdicts describe the message; failing to make them must not lose it.
            log.exception("verdicts on message %s could not be evaluated", envelope.message_id)
            return dict(UNAVAILABLE_VERDICTS), ()
        return report.receipt_fields(), tuple(report.headers)

    def _saved(self, progress: ReceiptProgress) -> ReceiptProgress | None:
        updated = replace(progress, version=progress.version + 1)
        if not self._ledger.save(updated):
            log.warning(
                "message %s of account %s was taken over by another worker",
                progress.message_id,
                progress.account_id,
            )
            return None
        return updated

    def _count_failure(self, task: ReceiptTask, rule: str, failure: Exception, *, expired: bool) -> None:
        message_id = task.envelope.message_id
        self._metrics.publish_failure(task.account_id, task.rule_set, rule)
        log.warning(
            "receipt action of rule %s/%s failed for message %s of account %s (attempt %d): %s",
            task.rule_set,
            rule,
            message_id,
            task.account_id,
            task.attempt,
            failure,
        )
        if expired:
            self._metrics.publish_expired(task.account_id, task.rule_set, rule)
            log.error(
                "receipt action of rule %s/%s given up for message %s of account %s: it kept failing "
                "for %.0f seconds",
                task.rule_set,
                rule,
                message_id,
                task.account_id,
                self._policy.max_age,
            )

    def _retry_later(
        self,
        task: ReceiptTask,
        progress: ReceiptProgress,
        position: Position,
        added: Sequence[tuple[str, str]],
    ) -> TaskOutcome:
        now = self._clock()
        delay = self._policy.retry_delay(task.attempt)
        # The last try comes when the message reaches max_age, not a whole delay later.
        delay = max(1.0, min(delay, task.envelope.received_at + self._policy.max_age - now))
        retry = replace(task, attempt=task.attempt + 1, not_before=now + delay)
        saved = self._saved(replace(progress, position=position, added_headers=tuple(added), lease_until=0.0))
        if saved is None:
            return TaskOutcome.BUSY
        self._requeue(retry, delay)
        return TaskOutcome.RETRY_QUEUED

    def _requeue(self, task: ReceiptTask, delay: float) -> None:
        self._queue.enqueue(task, delay_seconds=math.ceil(min(MAX_QUEUE_DELAY, max(0.0, delay))))
