"""Sending with templates: v1 SendTemplatedEmail and SendBulkTemplatedEmail, v2 SendEmail with
Template content and SendBulkEmail.

Every destination is a message of its own (its own MessageId, quota units and events), made by
rendering the template with the call's default data overlaid with the destination's own. The
template is read once per call and parsed once per process. A destination whose rendering fails
is accepted but not sent, and its failure published as SES's "Rendering Failure" event; one that
SendingService refuses gets its own status; neither affects the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sesame.domain.errors import (
    AccountSendingPaused,
    ConfigurationSetDoesNotExist,
    DailyQuotaExceeded,
    InvalidParameterValue,
    MailFromDomainNotVerified,
    MessageRejected,
    MissingParameter,
    SesError,
    TemplateDoesNotExist,
    Throttling,
    ValidationError,
)
from sesame.domain.sending.content import Attachment, SimpleContent, TextPart
from sesame.domain.sending.event_ports import EventPublisher
from sesame.domain.sending.events import mail_object
from sesame.domain.sending.model import QueuedMessage
from sesame.domain.sending.service import (
    ContentUnavailable,
    PersonalizedSend,
    SendingService,
    SendOutcome,
    SendRequest,
)
from sesame.domain.template_rendering import (
    RenderingError,
    TemplateContent,
    TemplateDataError,
    TemplateSyntaxError,
    parse_template_data,
    render,
)
from sesame.domain.templates import TemplateService, template_name_from_arn

log = logging.getLogger(__name__)

MAX_DESTINATIONS = 50
RENDERING_FAILURE = "Rendering Failure"


class BulkStatus(StrEnum):
    """A destination's status, by v1's names (BulkEmailStatus); ``v2`` gives v2's."""

    SUCCESS = "Success"
    MESSAGE_REJECTED = "MessageRejected"
    MAIL_FROM_DOMAIN_NOT_VERIFIED = "MailFromDomainNotVerified"
    CONFIGURATION_SET_DOES_NOT_EXIST = "ConfigurationSetDoesNotExist"
    TEMPLATE_DOES_NOT_EXIST = "TemplateDoesNotExist"
    ACCOUNT_THROTTLED = "AccountThrottled"
    ACCOUNT_DAILY_QUOTA_EXCEEDED = "AccountDailyQuotaExceeded"
    ACCOUNT_SENDING_PAUSED = "AccountSendingPaused"
    INVALID_PARAMETER_VALUE = "InvalidParameterValue"
    TRANSIENT_FAILURE = "TransientFailure"
    FAILED = "Failed"

    @property
    def v2(self) -> str:
        return _V2_STATUS[self]


_V2_STATUS = {
    BulkStatus.SUCCESS: "SUCCESS",
    BulkStatus.MESSAGE_REJECTED: "MESSAGE_REJECTED",
    BulkStatus.MAIL_FROM_DOMAIN_NOT_VERIFIED: "MAIL_FROM_DOMAIN_NOT_VERIFIED",
    BulkStatus.CONFIGURATION_SET_DOES_NOT_EXIST: "CONFIGURATION_SET_NOT_FOUND",
    BulkStatus.TEMPLATE_DOES_NOT_EXIST: "TEMPLATE_NOT_FOUND",
    BulkStatus.ACCOUNT_THROTTLED: "ACCOUNT_THROTTLED",
    BulkStatus.ACCOUNT_DAILY_QUOTA_EXCEEDED: "ACCOUNT_DAILY_QUOTA_EXCEEDED",
    BulkStatus.ACCOUNT_SENDING_PAUSED: "ACCOUNT_SENDING_PAUSED",
    BulkStatus.INVALID_PARAMETER_VALUE: "INVALID_PARAMETER",
    BulkStatus.TRANSIENT_FAILURE: "TRANSIENT_FAILURE",
    BulkStatus.FAILED: "FAILED",
}

# Most specific first: DailyQuotaExceeded is a Throttling.
_STATUS_OF_ERROR: tuple[tuple[type[SesError], BulkStatus], ...] = (
    (MessageRejected, BulkStatus.MESSAGE_REJECTED),
    (MailFromDomainNotVerified, BulkStatus.MAIL_FROM_DOMAIN_NOT_VERIFIED),
    (ConfigurationSetDoesNotExist, BulkStatus.CONFIGURATION_SET_DOES_NOT_EXIST),
    (TemplateDoesNotExist, BulkStatus.TEMPLATE_DOES_NOT_EXIST),
    (DailyQuotaExceeded, BulkStatus.ACCOUNT_DAILY_QUOTA_EXCEEDED),
    (Throttling, BulkStatus.ACCOUNT_THROTTLED),
    (AccountSendingPaused, BulkStatus.ACCOUNT_SENDING_PAUSED),
    (InvalidParameterValue, BulkStatus.INVALID_PARAMETER_VALUE),
    (MissingParameter, BulkStatus.INVALID_PARAMETER_VALUE),
    (ValidationError, BulkStatus.INVALID_PARAMETER_VALUE),
)


def status_of(outcome: SendOutcome) -> BulkStatus:
    if outcome.error is None:
        return BulkStatus.SUCCESS
    if not isinstance(outcome.error, SesError):
        return BulkStatus.TRANSIENT_FAILURE
    for kind, status in _STATUS_OF_ERROR:
        if isinstance(outcome.error, kind):
            return status
    return BulkStatus.FAILED


def error_text(outcome: SendOutcome) -> str | None:
    if outcome.error is None:
        return None
    if isinstance(outcome.error, SesError):
        return outcome.error.message
    return "Sesame could not send this message; try again."


@dataclass(frozen=True)
class TemplateChoice:
    """A stored template (by name or ARN), or one given inline (v2 TemplateContent)."""

    name: str | None = None
    arn: str | None = None
    inline: TemplateContent | None = None


@dataclass(frozen=True)
class Destination:
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    template_data: str | None = None  # this destination's data, over the default
    tags: dict[str, list[str]] = field(default_factory=dict)  # replace the defaults of the same name
    headers: tuple[tuple[str, str], ...] = ()  # replace the template's headers of the same name


@dataclass(frozen=True)
class TemplatedSend:
    """``request`` holds what every destination shares (sender, From, Reply-To, configuration
    set, default tags); its content and recipients are ignored."""

    request: SendRequest
    template: TemplateChoice
    destinations: Sequence[Destination]
    default_data: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class _Template:
    name: str | None
    content: TemplateContent


def rendering_failure_event(
    message: QueuedMessage, *, template_name: str | None, error_message: str, region: str
) -> dict[str, Any]:
    failure: dict[str, Any] = {"errorMessage": error_message}
    if template_name is not None:
        failure["templateName"] = template_name
    return {
        "eventType": RENDERING_FAILURE,
        "mail": mail_object(message, region=region, headers=None, for_event=True),
        "failure": failure,
    }


class TemplatedSending:
    def __init__(
        self,
        *,
        templates: TemplateService,
        sending: SendingService,
        events: EventPublisher,
        region: str,
    ) -> None:
        self._templates = templates
        self._sending = sending
        self._events = events
        self._region = region

    def send(self, send: TemplatedSend) -> list[SendOutcome]:
        """One outcome per destination, in order. Raises (for the whole call) when there is no
        destination or too many, or the template does not exist."""
        if not send.destinations:
            raise MissingParameter("At least one destination is required.")
        if len(send.destinations) > MAX_DESTINATIONS:
            raise InvalidParameterValue(f"Maximum number of destinations ({MAX_DESTINATIONS}) exceeded.")
        template = self._template(send.request.sender.account_id, send.template)
        items = [self._personalized(send, template, destination) for destination in send.destinations]
        outcomes = self._sending.send_each(items)
        for outcome in outcomes:
            if outcome.unsent is not None:
                self._publish_failure(outcome, template)
        return outcomes

    def _template(self, account_id: str, choice: TemplateChoice) -> _Template:
        if choice.inline is not None:
            return _Template(None, choice.inline)
        name = choice.name
        if choice.arn:
            from_arn = template_name_from_arn(choice.arn, account_id=account_id, region=self._region)
            if name is not None and name != from_arn:
                raise InvalidParameterValue(
                    "The template name and the template ARN name different templates."
                )
            name = from_arn
        if not name:
            raise MissingParameter("A template name, template ARN or template content is required.")
        return _Template(name, self._templates.get(account_id, name).content)

    def _personalized(
        self, send: TemplatedSend, template: _Template, destination: Destination
    ) -> PersonalizedSend:
        request = replace(
            send.request,
            to=destination.to,
            cc=destination.cc,
            bcc=destination.bcc,
            tags={**send.request.tags, **destination.tags},
        )
        replaced = {name.lower() for name, _ in destination.headers}
        headers = tuple(h for h in send.headers if h[0].lower() not in replaced) + destination.headers

        def content() -> SimpleContent:
            try:
                data = parse_template_data(send.default_data) if send.default_data is not None else {}
                if destination.template_data is not None:
                    data = {**data, **parse_template_data(destination.template_data)}
                rendered = render(template.content, data)
            except (TemplateDataError, RenderingError, TemplateSyntaxError) as error:
                raise ContentUnavailable(error.message) from None
            return SimpleContent(
                subject=TextPart(rendered.subject, "UTF-8"),
                text=None if rendered.text is None else TextPart(rendered.text, "UTF-8"),
                html=None if rendered.html is None else TextPart(rendered.html, "UTF-8"),
                headers=headers,
                attachments=send.attachments,
            )

        return PersonalizedSend(request=request, content=content)

    def _publish_failure(self, outcome: SendOutcome, template: _Template) -> None:
        assert outcome.unsent is not None
        event = rendering_failure_event(
            outcome.unsent,
            template_name=template.name,
            error_message=outcome.content_failure or "",
            region=self._region,
        )
        try:
            self._events.publish(event)
        except Exception:
            # The send was accepted (SES answers before it renders): its failure event is lost,
            # and logged, rather than the call failed.
            log.exception("Rendering Failure event for %s was not published", outcome.message_id)


def single_outcome(outcomes: Sequence[SendOutcome]) -> str:
    """A one-destination send's MessageId, or its error raised as SES raises it."""
    (outcome,) = outcomes
    if outcome.error is not None:
        raise outcome.error
    assert outcome.message_id is not None
    return outcome.message_id
