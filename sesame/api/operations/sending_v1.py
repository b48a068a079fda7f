"""SES v1 (Query) send operations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesame.api.operations.sending_args import sender, simple_content, tags, with_destination
from sesame.api.registry import Output, Params, operation
from sesame.domain.sending.mime import MAX_V1_MESSAGE_BYTES
from sesame.domain.sending.model import ApiSource
from sesame.domain.sending.service import SendRequest

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


@operation(1, "SendEmail")
def send_email(services: Services, ctx: RequestContext, params: Params) -> Output:
    request = SendRequest(
        sender=sender(ctx, ApiSource.API_V1),
        simple=simple_content(params["Message"]),
        from_address=params["Source"],
        reply_to=tuple(params.get("ReplyToAddresses", [])),
        return_path=params.get("ReturnPath"),
        configuration_set=params.get("ConfigurationSetName"),
        tags=tags(params.get("Tags")),
        source_arn=params.get("SourceArn"),
        return_path_arn=params.get("ReturnPathArn"),
        max_bytes=MAX_V1_MESSAGE_BYTES,
    )
    request = with_destination(request, params.get("Destination"))
    return {"MessageId": services.sending.send(request)}


@operation(1, "SendRawEmail")
def send_raw_email(services: Services, ctx: RequestContext, params: Params) -> Output:
    request = SendRequest(
        sender=sender(ctx, ApiSource.API_V1),
        raw=params["RawMessage"]["Data"],
        from_address=params.get("Source"),
        # Destinations given as a parameter are envelope recipients, like Bcc.
        bcc=tuple(params.get("Destinations", [])),
        configuration_set=params.get("ConfigurationSetName"),
        tags=tags(params.get("Tags")),
        source_arn=params.get("SourceArn"),
        from_arn=params.get("FromArn"),
        return_path_arn=params.get("ReturnPathArn"),
        max_bytes=MAX_V1_MESSAGE_BYTES,
    )
    return {"MessageId": services.sending.send(request)}
