"""SES v2 (REST-JSON) email template operations: the same store as v1's templates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sesame.api.operations.template_args import template_content
from sesame.api.registry import Output, Params, operation

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


@operation(2, "CreateEmailTemplate")
def create_email_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    tags = [(tag["Key"], tag["Value"]) for tag in params.get("Tags") or []]
    services.templates.create(
        ctx.account_id, params["TemplateName"], template_content(params["TemplateContent"]), tags
    )
    return {}


@operation(2, "UpdateEmailTemplate")
def update_email_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.templates.update(
        ctx.account_id, params["TemplateName"], template_content(params["TemplateContent"])
    )
    return {}


@operation(2, "GetEmailTemplate")
def get_email_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    template = services.templates.get(ctx.account_id, params["TemplateName"])
    parts = {
        "Subject": template.content.subject,
        "Text": template.content.text,
        "Html": template.content.html,
    }
    output: Output = {
        "TemplateName": template.name,
        "TemplateContent": {key: value for key, value in parts.items() if value is not None},
    }
    if template.tags:
        output["Tags"] = [{"Key": key, "Value": value} for key, value in template.tags]
    return output


@operation(2, "DeleteEmailTemplate")
def delete_email_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.templates.delete(ctx.account_id, params["TemplateName"], missing_ok=False)
    return {}


@operation(2, "ListEmailTemplates")
def list_email_templates(services: Services, ctx: RequestContext, params: Params) -> Output:
    items, next_token = services.templates.list_templates(
        ctx.account_id, next_token=params.get("NextToken"), page_size=params.get("PageSize")
    )
    output: Output = {
        "TemplatesMetadata": [
            {"TemplateName": item.name, "CreatedTimestamp": datetime.fromtimestamp(item.created_at, tz=UTC)}
            for item in items
        ]
    }
    if next_token:
        output["NextToken"] = next_token
    return output


@operation(2, "TestRenderEmailTemplate")
def test_render_email_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    rendered = services.templates.test_render(ctx.account_id, params["TemplateName"], params["TemplateData"])
    return {"RenderedTemplate": rendered}
