"""SES v1 (Query) email template operations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sesame.api.registry import Output, Params, operation
from sesame.domain.template_rendering import TemplateContent

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


def _content(template: dict[str, Any]) -> TemplateContent:
    return TemplateContent(
        subject=template.get("SubjectPart"), text=template.get("TextPart"), html=template.get("HtmlPart")
    )


@operation(1, "CreateTemplate")
def create_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    template = params["Template"]
    services.templates.create(ctx.account_id, template["TemplateName"], _content(template))
    return {}


@operation(1, "UpdateTemplate")
def update_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    template = params["Template"]
    services.templates.update(ctx.account_id, template["TemplateName"], _content(template))
    return {}


@operation(1, "GetTemplate")
def get_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    template = services.templates.get(ctx.account_id, params["TemplateName"])
    parts = {
        "SubjectPart": template.content.subject,
        "TextPart": template.content.text,
        "HtmlPart": template.content.html,
    }
    return {"Template": {"TemplateName": template.name, **{k: v for k, v in parts.items() if v is not None}}}


@operation(1, "DeleteTemplate")
def delete_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    # v1 answers success for a template that is not there.
    services.templates.delete(ctx.account_id, params["TemplateName"], missing_ok=True)
    return {}


@operation(1, "ListTemplates")
def list_templates(services: Services, ctx: RequestContext, params: Params) -> Output:
    items, next_token = services.templates.list_templates(
        ctx.account_id, next_token=params.get("NextToken"), page_size=params.get("MaxItems")
    )
    output: Output = {
        "TemplatesMetadata": [
            {"Name": item.name, "CreatedTimestamp": datetime.fromtimestamp(item.created_at, tz=UTC)}
            for item in items
        ]
    }
    if next_token:
        output["NextToken"] = next_token
    return output


@operation(1, "TestRenderTemplate")
def test_render_template(services: Services, ctx: RequestContext, params: Params) -> Output:
    rendered = services.templates.test_render(ctx.account_id, params["TemplateName"], params["TemplateData"])
    return {"RenderedTemplate": rendered}
