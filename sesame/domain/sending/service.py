"""Accepting a message: SES's checks, the quota reservation, then the durable queue.

The order of the checks is SES's, so a request that breaks several rules gets the error SES
would give: sending paused, the message itself (addresses, headers, a parsable raw message),
recipient count and size, the configuration set, the sender's identity, the sandbox, and last
the quota, which is only spent on a message that will be queued. The answer (a MessageId) is
given only after the queue holds the message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from sesame.domain.accounts import Account, AccountService
from sesame.domain.content_scanning import ScanStatus, VirusScanner
from sesame.domain.errors import (
    AccountSendingPaused,
    ConfigurationSetDoesNotExist,
    InvalidParameterValue,
    MessageRejected,
    SesError,
)
from sesame.domain.identities import IdentityService
from sesame.domain.sending.addresses import parse_address
from sesame.domain.sending.composition import ComposedMessage, compose_raw, compose_simple
from sesame.domain.sending.content import SimpleContent, TextPart
from sesame.domain.sending.message_ids import new_message_id
from sesame.domain.sending.mime import MAX_V2_MESSAGE_BYTES, check_message_size
from sesame.domain.sending.model import ApiSource, QueuedMessage
from sesame.domain.sending.ports import DeliveryQueue, DeliveryTask
from sesame.domain.sending.simulator import simulator_scenario

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 50
# The error of a send refused by the content filter; the Reject event's reason is "Bad content".
BAD_CONTENT_MESSAGE = "Bad content: the message contains a virus."


class QuotaReserver(Protocol):
    def reserve(self, account: Account, *, rate_units: int, daily_units: int, now: float) -> None: ...


class SendEvents(Protocol):
    def sent(self, message: QueuedMessage) -> None:
        """Publish the Send event of an accepted message."""
        ...

    def rejected(self, message: QueuedMessage) -> None:
        """Publish the Reject event of a message refused for a virus."""
        ...


class ConfigurationSets(Protocol):
    def exists(self, account_id: str, name: str) -> bool: ...


class NoConfigurationSets:
    """Until configuration sets can be created, naming one is naming one that does not exist."""

    def exists(self, account_id: str, name: str) -> bool:
        return False


@dataclass(frozen=True)
class Sender:
    account_id: str
    caller_identity: str
    source_ip: str
    api: ApiSource


@dataclass(frozen=True)
class SendRequest:
    sender: Sender
    # Exactly one of simple / raw.
    simple: SimpleContent | None = None
    raw: bytes | None = None
    # v1 Source / v2 FromEmailAddress. For raw messages it may be None: the From header counts.
    from_address: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    return_path: str | None = None
    configuration_set: str | None = None
    tags: dict[str, list[str]] = field(default_factory=dict)
    source_arn: str | None = None
    from_arn: str | None = None
    return_path_arn: str | None = None
    max_bytes: int = MAX_V2_MESSAGE_BYTES


class SendingService:
    def __init__(
        self,
        *,
        accounts: AccountService,
        identities: IdentityService,
        quotas: QuotaReserver,
        queue: DeliveryQueue,
        events: SendEvents,
        region: str,
        mail_host_name: str,
        clock: Callable[[], float],
        configuration_sets: ConfigurationSets | None = None,
        content_scanner: VirusScanner | None = None,
    ) -> None:
        self._accounts = accounts
        self._identities = identities
        self._quotas = quotas
        self._queue = queue
        self._events = events
        self._region = region
        self._mail_host_name = mail_host_name
        self._clock = clock
        self._configuration_sets = configuration_sets or NoConfigurationSets()
        self._content_scanner = content_scanner

    def send(self, request: SendRequest) -> str:
        """Check, reserve quota, queue; return the MessageId. Raises SesError subclasses."""
        sender = request.sender
        account = self._accounts.get_account(sender.account_id)
        if not account.may_send:
            raise AccountSendingPaused("Sending is paused for this account.")
        now = self._clock()
        message_id = new_message_id(now)
        composed = self._compose(request, message_id, now)
        recipients = composed.recipients
        if not recipients:
            raise MessageRejected("Missing required header: there are no recipients.")
        if len(recipients) > MAX_RECIPIENTS:
            raise MessageRejected(f"Recipient count exceeds {MAX_RECIPIENTS}.")
        check_message_size(composed.data, request.max_bytes)
        configuration_set = request.configuration_set or composed.configuration_set
        if configuration_set and not self._configuration_sets.exists(account.account_id, configuration_set):
            raise ConfigurationSetDoesNotExist(f"Configuration set <{configuration_set}> does not exist.")

        found = self._identities.sending_identity(account.account_id, composed.source)
        if found is None:
            raise self._not_verified([composed.source])
        identity, mail_from_domain = found
        # The MAIL FROM is per message (VERP) so that bounces find their message.
        mail_from = f"{message_id}@{mail_from_domain or self._mail_host_name}"
        return_path = request.return_path or composed.return_path
        if return_path:
            return_path = parse_address(return_path).envelope
        simulated = [r for r in recipients if simulator_scenario(r) is not None]
        if account.sandbox:
            unverified = [
                r
                for r in recipients
                if r not in simulated
                and self._identities.verified_identity_for(account.account_id, r) is None
            ]
            if unverified:
                raise self._not_verified(unverified)

        tags = {**composed.tags, **request.tags}
        message = QueuedMessage(
            message_id=message_id,
            account_id=account.account_id,
            source=composed.source,
            mail_from=mail_from,
            destinations=tuple(recipients),
            sending_identity=identity.name,
            created_at=now,
            configuration_set=configuration_set,
            tags=tags,
            source_arn=request.source_arn or composed.source_arn,
            from_arn=request.from_arn or composed.from_arn,
            return_path_arn=request.return_path_arn or composed.return_path_arn,
            return_path=return_path,
            caller_identity=sender.caller_identity,
            source_ip=sender.source_ip,
            api=sender.api,
            raw=composed.data,
        )
        self._refuse_bad_content(message)
        # Simulator recipients count toward the rate but not the daily quota (SES's rule).
        self._quotas.reserve(
            account, rate_units=len(recipients), daily_units=len(recipients) - len(simulated), now=now
        )
        self._queue.enqueue(DeliveryTask(message=message, recipients=message.destinations))
        try:
            self._events.sent(message)
        except Exception:
            # The message is queued and will be delivered: failing the call now would make the
            # client send it twice. The missing Send event is logged instead.
            log.exception("Send event for %s was not published", message_id)
        return message_id

    def _refuse_bad_content(self, message: QueuedMessage) -> None:
        """SES's outbound content filter: a message with a virus gets a Reject event and is
        refused. A scanner that cannot answer lets the message through (logged): mail is not
        held hostage to a scanner outage."""
        if self._content_scanner is None or message.raw is None:
            return
        result = self._content_scanner.find_virus(message.raw)
        if result.status == ScanStatus.FAILED:
            log.warning("content scan of %s failed, sending unscanned: %s", message.message_id, result.detail)
        if result.status != ScanStatus.FOUND:
            return
        log.info("message %s refused: virus %s", message.message_id, result.detail)
        try:
            self._events.rejected(message)
        except Exception:
            log.exception("Reject event for %s was not published", message.message_id)
        raise MessageRejected(BAD_CONTENT_MESSAGE)

    def _compose(self, request: SendRequest, message_id: str, now: float) -> ComposedMessage:
        header_domain = f"{self._region}.{self._mail_host_name}"
        if request.simple is not None:
            if request.from_address is None:
                raise InvalidParameterValue("Missing required parameter: the source address.")
            return compose_simple(
                request.simple,
                from_address=request.from_address,
                to=request.to,
                cc=request.cc,
                bcc=request.bcc,
                reply_to=request.reply_to,
                message_id=message_id,
                message_id_domain=header_domain,
                now=now,
            )
        if request.raw is None:
            raise InvalidParameterValue("Missing required parameter: the message content.")
        return compose_raw(
            request.raw,
            source=request.from_address,
            destinations=(*request.to, *request.cc, *request.bcc),
            message_id=message_id,
            message_id_domain=header_domain,
            now=now,
        )

    def _not_verified(self, addresses: Sequence[str]) -> MessageRejected:
        return MessageRejected(
            "Email address is not verified. The following identities failed the check in region "
            f"{self._region.upper()}: {', '.join(addresses)}"
        )

    # --- personalized sending: one message per destination ----------------------------------------

    def send_each(self, sends: Sequence[PersonalizedSend]) -> list[SendOutcome]:
        """Send each request as a message of its own, with its own checks, quota units and
        MessageId; one that is refused does not stop the others.

        Each content is made by the item's ``content`` callable just before its message is sent.
        Content that cannot be made (ContentUnavailable: a template that does not render) makes
        a message that is accepted -- checked and given a MessageId, as SES accepts a templated
        send before rendering it -- but never queued; its outcome carries the unsent message.
        """
        outcomes: list[SendOutcome] = []
        for item in sends:
            try:
                outcomes.append(self._send_one(item))
            except SesError as error:
                outcomes.append(SendOutcome(error=error))
            except Exception as error:
                # One destination's trouble (a queue or table that did not answer) must not
                # turn the destinations already queued into a failed call the client repeats.
                log.exception("a personalized send failed")
                outcomes.append(SendOutcome(error=error))
        return outcomes

    def _send_one(self, item: PersonalizedSend) -> SendOutcome:
        try:
            content = item.content()
        except ContentUnavailable as failure:
            return self._accept_unsendable(item.request, failure.message)
        return SendOutcome(message_id=self.send(replace(item.request, simple=content)))

    def _accept_unsendable(self, request: SendRequest, reason: str) -> SendOutcome:
        """``send``'s checks on a message whose content could not be made; nothing is queued
        and no quota is spent, as nothing will be sent."""
        sender = request.sender
        account = self._accounts.get_account(sender.account_id)
        if not account.may_send:
            raise AccountSendingPaused("Sending is paused for this account.")
        now = self._clock()
        message_id = new_message_id(now)
        composed = self._compose(replace(request, simple=SimpleContent(TextPart(""))), message_id, now)
        recipients = composed.recipients
        if not recipients:
            raise MessageRejected("Missing required header: there are no recipients.")
        if len(recipients) > MAX_RECIPIENTS:
            raise MessageRejected(f"Recipient count exceeds {MAX_RECIPIENTS}.")
        configuration_set = request.configuration_set
        if configuration_set and not self._configuration_sets.exists(account.account_id, configuration_set):
            raise ConfigurationSetDoesNotExist(f"Configuration set <{configuration_set}> does not exist.")
        found = self._identities.sending_identity(account.account_id, composed.source)
        if found is None:
            raise self._not_verified([composed.source])
        if account.sandbox:
            unverified = [
                r
                for r in recipients
                if simulator_scenario(r) is None
                and self._identities.verified_identity_for(account.account_id, r) is None
            ]
            if unverified:
                raise self._not_verified(unverified)
        message = QueuedMessage(
            message_id=message_id,
            account_id=account.account_id,
            source=composed.source,
            mail_from="",
            destinations=tuple(recipients),
            sending_identity=found[0].name,
            created_at=now,
            configuration_set=configuration_set,
            tags=dict(request.tags),
            source_arn=request.source_arn,
            from_arn=request.from_arn,
            caller_identity=sender.caller_identity,
            source_ip=sender.source_ip,
            api=sender.api,
        )
        return SendOutcome(message_id=message_id, unsent=message, content_failure=reason)


class ContentUnavailable(Exception):
    """A personalized message's content could not be made (its template did not render)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PersonalizedSend:
    """One destination's message: everything but the content, and how to make the content."""

    request: SendRequest
    content: Callable[[], SimpleContent]


@dataclass(frozen=True)
class SendOutcome:
    """What became of one personalized send: a MessageId, or the error that refused it (an
    SesError, or another exception for a failure on Sesame's side). An accepted message whose
    content could not be made has its MessageId, ``unsent`` and ``content_failure``."""

    message_id: str | None = None
    error: Exception | None = None
    unsent: QueuedMessage | None = None
    content_failure: str | None = None
