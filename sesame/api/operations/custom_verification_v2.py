"""SES v2 (REST-JSON) custom verification email templates and SendCustomVerificationEmail: the
same templates as v1's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesame.api.operations.custom_verification_v1 import summary
from sesame.api.operations.sending_args import sender
from sesame.api.registry import Output, Params, operation
from sesame.domain.custom_verification import VerificationTemplate
from sesame.domain.sending.model import ApiSource

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


@operation(2, "CreateCustomVerificationEmailTemplate")
def create_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.custom_verification.create(
        ctx.account_id,
        VerificationTemplate(
            name=params["TemplateName"],
            from_address=params["FromEmailAddress"],
            subject=params["TemplateSubject"],
            content=params["TemplateContent"],
            success_url=params["SuccessRedirectionURL"],
            failure_url=params["FailureRedirectionURL"],
            tags=tuple((tag["Key"], tag["Value"]) for tag in params.get("Tags") or []),
        ),
    )
    return {}


@operation(2, "UpdateCustomVerificationEmailTemplate")
def update_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.custom_verification.update(
        ctx.account_id,
        params["TemplateName"],
        from_address=params["FromEmailAddress"],
        subject=params["TemplateSubject"],
        content=params["TemplateContent"],
        success_url=params["SuccessRedirectionURL"],
        failure_url=params["FailureRedirectionURL"],
    )
    return {}


@operation(2, "GetCustomVerificationEmailTemplate")
def get_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    template = services.custom_verification.get(ctx.account_id, params["TemplateName"])
    output: Output = {**summary(template), "TemplateContent": template.content}
    if template.tags:
        output["Tags"] = [{"Key": key, "Value": value} for key, value in template.tags]
    return output


@operation(2, "DeleteCustomVerificationEmailTemplate")
def delete_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.custom_verification.delete(ctx.account_id, params["TemplateName"], missing_ok=False)
    return {}


@operation(2, "ListCustomVerificationEmailTemplates")
def list_templates(services: Services, ctx: RequestContext, params: Params) -> Output:
    items, next_token = services.custom_verification.list_templates(
        ctx.account_id, next_token=params.get("NextToken"), page_size=params.get("PageSize")
    )
    output: Output = {"CustomVerificationEmailTemplates": [summary(item) for item in items]}
    if next_token:
        output["NextToken"] = next_token
    return output


@operation(2, "SendCustomVerificationEmail")
def send_custom_verification_email(services: Services, ctx: RequestContext, params: Params) -> Output:
    message_id = services.custom_verification.send(
        sender(ctx, ApiSource.API_V2),
        params["EmailAddress"],
        params["TemplateName"],
        configuration_set=params.get("ConfigurationSetName"),
    )
    return {} if message_id is None else {"MessageId": message_id}
