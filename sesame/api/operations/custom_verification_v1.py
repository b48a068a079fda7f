"""SES v1 (Query) custom verification email templates and SendCustomVerificationEmail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesame.api.operations.sending_args import sender
from sesame.api.registry import Output, Params, operation
from sesame.domain.custom_verification import VerificationTemplate
from sesame.domain.sending.model import ApiSource

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


def summary(template: VerificationTemplate) -> Output:
    return {
        "TemplateName": template.name,
        "FromEmailAddress": template.from_address,
        "TemplateSubject": template.subject,
        "SuccessRedirectionURL": template.success_url,
        "FailureRedirectionURL": template.failure_url,
    }


@operation(1, "CreateCustomVerificationEmailTemplate")
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
        ),
    )
    return {}


@operation(1, "UpdateCustomVerificationEmailTemplate")
def update_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.custom_verification.update(
        ctx.account_id,
        params["TemplateName"],
        from_address=params.get("FromEmailAddress"),
        subject=params.get("TemplateSubject"),
        content=params.get("TemplateContent"),
        success_url=params.get("SuccessRedirectionURL"),
        failure_url=params.get("FailureRedirectionURL"),
    )
    return {}


@operation(1, "GetCustomVerificationEmailTemplate")
def get_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    template = services.custom_verification.get(ctx.account_id, params["TemplateName"])
    return {**summary(template), "TemplateContent": template.content}


@operation(1, "DeleteCustomVerificationEmailTemplate")
def delete_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.custom_verification.delete(ctx.account_id, params["TemplateName"], missing_ok=True)
    return {}


@operation(1, "ListCustomVerificationEmailTemplates")
def list_templates(services: Services, ctx: RequestContext, params: Params) -> Output:
    items, next_token = services.custom_verification.list_templates(
        ctx.account_id, next_token=params.get("NextToken"), page_size=params.get("MaxResults")
    )
    output: Output = {"CustomVerificationEmailTemplates": [summary(item) for item in items]}
    if next_token:
        output["NextToken"] = next_token
    return output


@operation(1, "SendCustomVerificationEmail")
def send_custom_verification_email(services: Services, ctx: RequestContext, params: Params) -> Output:
    message_id = services.custom_verification.send(
        sender(ctx, ApiSource.API_V1),
        params["EmailAddress"],
        params["TemplateName"],
        configuration_set=params.get("ConfigurationSetName"),
    )
    return {} if message_id is None else {"MessageId": message_id}
