"""SES v1 (Query) sends with a stored template: SendTemplatedEmail and SendBulkTemplatedEmail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesame.api.operations.sending_args import sender, tags
from sesame.api.operations.template_args import destination, results_v1
from sesame.api.registry import Output, Params, operation
from sesame.domain.sending.mime import MAX_V1_MESSAGE_BYTES
from sesame.domain.sending.model import ApiSource
from sesame.domain.sending.service import SendRequest
from sesame.domain.templated_sending import TemplateChoice, TemplatedSend, single_outcome

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


def _shared(ctx: RequestContext, params: Params, message_tags: dict[str, list[str]]) -> SendRequest:
    return SendRequest(
        sender=sender(ctx, ApiSource.API_V1),
        from_address=params["Source"],
        reply_to=tuple(params.get("ReplyToAddresses", [])),
        return_path=params.get("ReturnPath"),
        configuration_set=params.get("ConfigurationSetName"),
        tags=message_tags,
        source_arn=params.get("SourceArn"),
        return_path_arn=params.get("ReturnPathArn"),
        max_bytes=MAX_V1_MESSAGE_BYTES,
    )


@operation(1, "SendTemplatedEmail")
def send_templated_email(services: Services, ctx: RequestContext, params: Params) -> Output:
    outcomes = services.templated_sending.send(
        TemplatedSend(
            request=_shared(ctx, params, tags(params.get("Tags"))),
            template=TemplateChoice(name=params.get("Template"), arn=params.get("TemplateArn")),
            destinations=[destination(params.get("Destination"), template_data=params["TemplateData"])],
        )
    )
    return {"MessageId": single_outcome(outcomes)}


@operation(1, "SendBulkTemplatedEmail")
def send_bulk_templated_email(services: Services, ctx: RequestContext, params: Params) -> Output:
    destinations = [
        destination(
            entry.get("Destination"),
            template_data=entry.get("ReplacementTemplateData"),
            tags=tags(entry.get("ReplacementTags")),
        )
        for entry in params.get("Destinations", [])
    ]
    outcomes = services.templated_sending.send(
        TemplatedSend(
            request=_shared(ctx, params, tags(params.get("DefaultTags"))),
            template=TemplateChoice(name=params.get("Template"), arn=params.get("TemplateArn")),
            destinations=destinations,
            default_data=params.get("DefaultTemplateData"),
        )
    )
    return {"Status": results_v1(outcomes)}
