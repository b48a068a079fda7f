"""Parameters shared by the send operations of both API versions, read into domain terms."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sesame.domain.sending.content import Attachment, SimpleContent, TextPart
from sesame.domain.sending.model import ApiSource
from sesame.domain.sending.service import Sender, SendRequest

if TYPE_CHECKING:
    from sesame.api.context import RequestContext


def sender(ctx: RequestContext, api: ApiSource) -> Sender:
    return Sender(
        account_id=ctx.account_id, caller_identity=ctx.access_key_id, source_ip=ctx.source_ip, api=api
    )


def text_part(content: dict[str, Any] | None) -> TextPart | None:
    if content is None:
        return None
    return TextPart(data=content.get("Data", ""), charset=content.get("Charset"))


def with_destination(request: SendRequest, params: dict[str, Any] | None) -> SendRequest:
    """``request`` with the To, Cc and Bcc addresses of a ``Destination`` parameter."""
    params = params or {}
    return replace(
        request,
        to=tuple(params.get("ToAddresses", [])),
        cc=tuple(params.get("CcAddresses", [])),
        bcc=tuple(params.get("BccAddresses", [])),
    )


def tags(entries: list[dict[str, str]] | None) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for entry in entries or []:
        result.setdefault(entry["Name"], []).append(entry["Value"])
    return result


def simple_content(message: dict[str, Any]) -> SimpleContent:
    """v1 ``Message`` and v2 ``Content.Simple`` share Subject and Body; v2 adds Headers and
    Attachments."""
    body = message.get("Body", {})
    subject = text_part(message.get("Subject")) or TextPart("")
    return SimpleContent(
        subject=subject,
        text=text_part(body.get("Text")),
        html=text_part(body.get("Html")),
        headers=tuple((h["Name"], h["Value"]) for h in message.get("Headers", [])),
        attachments=tuple(
            Attachment(
                raw_content=a["RawContent"],
                file_name=a["FileName"],
                content_type=a.get("ContentType"),
                disposition=a.get("ContentDisposition"),
                content_id=a.get("ContentId"),
                transfer_encoding=a.get("ContentTransferEncoding"),
                description=a.get("ContentDescription"),
            )
            for a in message.get("Attachments", [])
        ),
    )
