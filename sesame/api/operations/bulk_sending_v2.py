"""SES v2 (REST-JSON) SendBulkEmail: one template, one message per entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesame.api.operations.sending_args import sender, tags
from sesame.api.operations.template_args import (
    destination,
    headers_and_attachments,
    results_v2,
    template_choice,
)
from sesame.api.registry import Output, Params, operation
from sesame.domain.errors import InvalidParameterValue
from sesame.domain.sending.mime import MAX_V2_MESSAGE_BYTES
from sesame.domain.sending.model import ApiSource
from sesame.domain.sending.service import SendRequest
from sesame.domain.templated_sending import TemplatedSend

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


@operation(2, "SendBulkEmail")
def send_bulk_email(services: Services, ctx: RequestContext, params: Params) -> Output:
    template = (params.get("DefaultContent") or {}).get("Template")
    if template is None:
        raise InvalidParameterValue("DefaultContent must hold a Template.")
    headers, attachments = headers_and_attachments(template)
    destinations = []
    for entry in params.get("BulkEmailEntries", []):
        replacement = (entry.get("ReplacementEmailContent") or {}).get("ReplacementTemplate") or {}
        entry_headers, _ = headers_and_attachments({"Headers": entry.get("ReplacementHeaders")})
        destinations.append(
            destination(
                entry.get("Destination"),
                template_data=replacement.get("ReplacementTemplateData"),
                tags=tags(entry.get("ReplacementTags")),
                headers=entry_headers,
            )
        )
    request = SendRequest(
        sender=sender(ctx, ApiSource.API_V2),
        from_address=params.get("FromEmailAddress"),
        reply_to=tuple(params.get("ReplyToAddresses", [])),
        return_path=params.get("FeedbackForwardingEmailAddress"),
        configuration_set=params.get("ConfigurationSetName"),
        tags=tags(params.get("DefaultEmailTags")),
        from_arn=params.get("FromEmailAddressIdentityArn"),
        return_path_arn=params.get("FeedbackForwardingEmailAddressIdentityArn"),
        max_bytes=MAX_V2_MESSAGE_BYTES,
    )
    outcomes = services.templated_sending.send(
        TemplatedSend(
            request=request,
            template=template_choice(template),
            destinations=destinations,
            default_data=template.get("TemplateData"),
            headers=headers,
            attachments=attachments,
        )
    )
    return {"BulkEmailEntryResults": results_v2(outcomes)}
