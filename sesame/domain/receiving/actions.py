"""The receipt actions, each run once for one account's copy of a received message.

* S3: the message is stored as ``<prefix><message id>``, encrypted client-side when the action
  names a KMS key (encryption context: the account, the rule's name and the message id); then the
  optional notification.
* SNS: a ``Received`` notification with the message as its ``content`` (UTF-8 or Base64). A
  message over 150 KB cannot be published: the action fails for good and the sender gets a
  bounce, as with SES.
* Lambda: the function gets SES's event; with RequestResponse its ``disposition`` (STOP_RULE,
  STOP_RULE_SET, CONTINUE) decides what runs next.
* Bounce: a delivery status notification with the rule's reply code, status and message, from
  the rule's sender to the envelope sender (none to the null reverse path: a bounce is never
  answered with a bounce).
* Stop: ends the rule set, after its optional notification.
* AddHeader: the field joins the message for the actions after it and what they store.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sesame.domain.receiving.action_ports import (
    BounceMailer,
    FunctionInvoker,
    ObjectWriter,
    PermanentActionFailure,
    TopicPublisher,
)
from sesame.domain.receiving.bounce_dsn import BouncedRecipient, build_bounce_dsn
from sesame.domain.receiving.inbound import InboundEnvelope
from sesame.domain.receiving.receipt_records import (
    Record,
    action_object,
    lambda_event,
    mail_object,
    notification_content,
    receipt_object,
    received_notification,
)
from sesame.domain.receiving.rule_model import (
    AddHeaderAction,
    BounceAction,
    InvocationType,
    LambdaAction,
    ReceiptAction,
    S3Action,
    SnsAction,
    StopAction,
)

log = logging.getLogger(__name__)

MAX_SNS_CONTENT = 150 * 1024


class Disposition(StrEnum):
    CONTINUE = "CONTINUE"
    STOP_RULE = "STOP_RULE"
    STOP_RULE_SET = "STOP_RULE_SET"


@dataclass(frozen=True)
class ActionResult:
    disposition: Disposition = Disposition.CONTINUE
    header: tuple[str, str] | None = None  # an AddHeader action's field


@dataclass(frozen=True)
class ActionInput:
    account_id: str
    rule_set: str
    rule_name: str
    envelope: InboundEnvelope
    recipients: tuple[str, ...]  # the recipients the rule matched
    message: bytes  # the message as this action sees it
    verdict_fields: Record


def _disposition(result: Any) -> Disposition:
    value = result.get("disposition") if isinstance(result, dict) else None
    try:
        return Disposition(str(value).upper()) if value else Disposition.CONTINUE
    except ValueError:
        log.warning("a Lambda action returned an unknown disposition %r; continuing", value)
        return Disposition.CONTINUE


class ActionRunner:
    def __init__(
        self,
        *,
        objects: ObjectWriter,
        topics: TopicPublisher,
        functions: FunctionInvoker,
        bounces: BounceMailer,
        mail_host_name: str,
        clock: Callable[[], float],
    ) -> None:
        self._objects = objects
        self._topics = topics
        self._functions = functions
        self._bounces = bounces
        self._host = mail_host_name
        self._clock = clock

    def run(self, action: ReceiptAction, given: ActionInput) -> ActionResult:
        """Carry out ``action``; ActionFailed (to be retried) or PermanentActionFailure."""
        if isinstance(action, AddHeaderAction):
            return ActionResult(header=(action.header_name, action.header_value))
        if isinstance(action, S3Action):
            key = action.object_key_prefix + given.envelope.message_id
            if action.kms_key_arn:
                context = {
                    "aws:ses:message-id": given.envelope.message_id,
                    "aws:ses:rule-name": given.rule_name,
                    "aws:ses:source-account": given.account_id,
                }
                self._objects.put_encrypted(
                    action.bucket_name, key, given.message, kms_key_arn=action.kms_key_arn, context=context
                )
            else:
                self._objects.put(action.bucket_name, key, given.message)
            self._notify(action.topic_arn, action, given, object_key=key)
            return ActionResult()
        if isinstance(action, SnsAction):
            if len(given.message) > MAX_SNS_CONTENT:
                self._bounce_to_sender(
                    given,
                    sender=f"MAILER-DAEMON@{self._host}",
                    reply="552",
                    status="5.3.4",
                    text="Message too large for an SNS notification (150 KB at most)",
                )
                raise PermanentActionFailure(
                    f"message {given.envelope.message_id} is {len(given.message)} bytes, over SNS's 150 KB"
                )
            notification = received_notification(
                self._mail(given),
                self._receipt(given, action),
                content=notification_content(given.message, action.encoding),
            )
            self._topics.publish(action.topic_arn, json.dumps(notification, separators=(",", ":")))
            return ActionResult()
        if isinstance(action, LambdaAction):
            wait = action.invocation_type is InvocationType.REQUEST_RESPONSE
            event = lambda_event(self._mail(given), self._receipt(given, action))
            result = self._functions.invoke(action.function_arn, event, wait=wait)
            self._notify(action.topic_arn, action, given)
            return ActionResult(disposition=_disposition(result) if wait else Disposition.CONTINUE)
        if isinstance(action, BounceAction):
            self._bounce_to_sender(
                given,
                sender=action.sender,
                reply=action.smtp_reply_code,
                status=action.status_code or f"{action.smtp_reply_code[0]}.0.0",
                text=action.message,
            )
            self._notify(action.topic_arn, action, given)
            return ActionResult()
        if isinstance(action, StopAction):
            self._notify(action.topic_arn, action, given)
            return ActionResult(disposition=Disposition.STOP_RULE_SET)
        raise TypeError(f"unknown receipt action {action!r}")

    def _mail(self, given: ActionInput) -> Record:
        return mail_object(given.message, given.envelope, given.recipients)

    def _receipt(self, given: ActionInput, action: ReceiptAction, *, object_key: str | None = None) -> Record:
        return receipt_object(
            at=self._clock(),
            received_at=given.envelope.received_at,
            recipients=given.recipients,
            verdict_fields=given.verdict_fields,
            action=action_object(action, object_key=object_key),
        )

    def _notify(
        self,
        topic_arn: str | None,
        action: ReceiptAction,
        given: ActionInput,
        *,
        object_key: str | None = None,
    ) -> None:
        if not topic_arn:
            return
        notification = received_notification(
            self._mail(given), self._receipt(given, action, object_key=object_key)
        )
        self._topics.publish(topic_arn, json.dumps(notification, separators=(",", ":")))

    def _bounce_to_sender(
        self, given: ActionInput, *, sender: str, reply: str, status: str, text: str
    ) -> None:
        to_address = given.envelope.mail_from
        if not to_address:
            log.info("message %s came from the null reverse path: no bounce sent", given.envelope.message_id)
            return
        now = self._clock()
        dsn = build_bounce_dsn(
            sender=sender,
            to_address=to_address,
            explanation=text,
            reporting_mta=self._host,
            arrival=given.envelope.received_at,
            at=now,
            recipients=[
                BouncedRecipient(recipient=r, status=status, diagnostic_code=f"smtp; {reply} {status} {text}")
                for r in given.recipients
            ],
            original_message=given.message,
            report_id=secrets.token_hex(16),
            mail_host_name=self._host,
        )
        self._bounces.send_report(given.account_id, to_address, dsn)
