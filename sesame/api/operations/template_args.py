"""Parameters of templated sends shared by the operations of both API versions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sesame.api.operations.sending_args import simple_content, tags
from sesame.domain.errors import InvalidParameterValue
from sesame.domain.sending.service import SendOutcome
from sesame.domain.template_rendering import TemplateContent
from sesame.domain.templated_sending import Destination, TemplateChoice, error_text, status_of


def template_content(content: dict[str, Any]) -> TemplateContent:
    """v2 ``EmailTemplateContent``."""
    return TemplateContent(subject=content.get("Subject"), text=content.get("Text"), html=content.get("Html"))


def template_choice(template: dict[str, Any]) -> TemplateChoice:
    """v2 ``Template``: a stored template by name or ARN, or inline content."""
    inline = template.get("TemplateContent")
    if inline is not None and (template.get("TemplateName") or template.get("TemplateArn")):
        raise InvalidParameterValue("Give either a template name or ARN, or template content, not both.")
    return TemplateChoice(
        name=template.get("TemplateName"),
        arn=template.get("TemplateArn"),
        inline=None if inline is None else template_content(inline),
    )


def headers_and_attachments(template: dict[str, Any]) -> tuple[Any, Any]:
    """v2 ``Template`` Headers and Attachments, read as a Simple message's are."""
    simple = simple_content(
        {"Headers": template.get("Headers") or [], "Attachments": template.get("Attachments") or []}
    )
    return simple.headers, simple.attachments


def destination(params: dict[str, Any] | None, **extra: Any) -> Destination:
    params = params or {}
    return Destination(
        to=tuple(params.get("ToAddresses", [])),
        cc=tuple(params.get("CcAddresses", [])),
        bcc=tuple(params.get("BccAddresses", [])),
        **extra,
    )


def replacement_tags(entries: list[dict[str, str]] | None) -> dict[str, list[str]]:
    return tags(entries)


def results_v1(outcomes: Sequence[SendOutcome]) -> list[dict[str, Any]]:
    return [_result(outcome, status_of(outcome).value) for outcome in outcomes]


def results_v2(outcomes: Sequence[SendOutcome]) -> list[dict[str, Any]]:
    return [_result(outcome, status_of(outcome).v2) for outcome in outcomes]


def _result(outcome: SendOutcome, status: str) -> dict[str, Any]:
    result: dict[str, Any] = {"Status": status}
    error = error_text(outcome)
    if error is not None:
        result["Error"] = error
    if outcome.message_id is not None and outcome.error is None:
        result["MessageId"] = outcome.message_id
    return result
