"""SES v2 (REST-JSON) SendEmail with Simple, Raw or Template content."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sesame.api.operations.sending_args import sender, simple_content, tags, with_destination
from sesame.api.operations.template_args import destination, headers_and_attachments, template_choice
from sesame.api.registry import Output, Params, operation
from sesame.domain.errors import InvalidParameterValue
from sesame.domain.sending.mime import MAX_V2_MESSAGE_BYTES
from sesame.domain.sending.model import ApiSource
from sesame.domain.sending.service import SendRequest
from sesame.domain.templated_sending import TemplatedSend, single_outcome

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


@operation(2, "SendEmail")
def send_email(services: Services, ctx: RequestContext, params: Params) -> Output:
    content = params["Content"]
    request = SendRequest(
        sender=sender(ctx, ApiSource.API_V2),
        from_address=params.get("FromEmailAddress"),
        reply_to=tuple(params.get("ReplyToAddresses", [])),
        return_path=params.get("FeedbackForwardingEmailAddress"),
        configuration_set=params.get("ConfigurationSetName"),
        tags=tags(params.get("EmailTags")),
        from_arn=params.get("FromEmailAddressIdentityArn"),
        return_path_arn=params.get("FeedbackForwardingEmailAddressIdentityArn"),
        max_bytes=MAX_V2_MESSAGE_BYTES,
    )
    request = with_destination(request, params.get("Destination"))
    if "Simple" in content:
        request = replace(request, simple=simple_content(content["Simple"]))
    elif "Raw" in content:
        request = replace(request, raw=content["Raw"]["Data"])
    elif "Template" in content:
        return {"MessageId": _send_templated(services, request, params, content["Template"])}
    else:
        raise InvalidParameterValue("Exactly one of Simple, Raw or Template content must be given.")
    return {"MessageId": services.sending.send(request)}


def _send_templated(services: Services, request: SendRequest, params: Params, template: Params) -> str:
    headers, attachments = headers_and_attachments(template)
    outcomes = services.templated_sending.send(
        TemplatedSend(
            request=request,
            template=template_choice(template),
            destinations=[destination(params.get("Destination"), template_data=template.get("TemplateData"))],
            headers=headers,
            attachments=attachments,
        )
    )
    return single_outcome(outcomes)
