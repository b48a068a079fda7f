"""SES v2 (REST-JSON) suppression-list operations on the account-level list.

Sesame has no tenants, so a TenantName names a tenant that does not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sesame.api.registry import Output, Params, operation
from sesame.domain.errors import NotFound
from sesame.domain.suppression import (
    MAX_PAGE_SIZE,
    SuppressedDestination,
    SuppressionFilter,
    SuppressionReason,
)

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


def _no_tenants(params: Params) -> None:
    tenant = params.get("TenantName")
    if tenant is not None:
        raise NotFound(f"Tenant {tenant} does not exist.")


def _timestamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _summary(entry: SuppressedDestination) -> Output:
    return {
        "EmailAddress": entry.email_address,
        "Reason": entry.reason.value,
        "LastUpdateTime": _timestamp(entry.last_update_time),
    }


@operation(2, "PutSuppressedDestination")
def put_suppressed_destination(services: Services, ctx: RequestContext, params: Params) -> Output:
    _no_tenants(params)
    services.suppression.put(ctx.account_id, params["EmailAddress"], SuppressionReason(params["Reason"]))
    return {}


@operation(2, "GetSuppressedDestination")
def get_suppressed_destination(services: Services, ctx: RequestContext, params: Params) -> Output:
    _no_tenants(params)
    entry = services.suppression.get(ctx.account_id, params["EmailAddress"])
    destination = _summary(entry)
    attributes = {"MessageId": entry.message_id, "FeedbackId": entry.feedback_id}
    present = {name: value for name, value in attributes.items() if value}
    if present:
        destination["Attributes"] = present
    return {"SuppressedDestination": destination}


@operation(2, "ListSuppressedDestinations")
def list_suppressed_destinations(services: Services, ctx: RequestContext, params: Params) -> Output:
    _no_tenants(params)
    reasons = frozenset(SuppressionReason(value) for value in params.get("Reasons") or [])
    start: datetime | None = params.get("StartDate")
    end: datetime | None = params.get("EndDate")
    where = SuppressionFilter(
        reasons=reasons or None,
        start=None if start is None else start.timestamp(),
        end=None if end is None else end.timestamp(),
    )
    items, next_token = services.suppression.list_destinations(
        ctx.account_id,
        where=where,
        next_token=params.get("NextToken"),
        page_size=params.get("PageSize") or MAX_PAGE_SIZE,
    )
    output: Output = {"SuppressedDestinationSummaries": [_summary(entry) for entry in items]}
    if next_token:
        output["NextToken"] = next_token
    return output


@operation(2, "DeleteSuppressedDestination")
def delete_suppressed_destination(services: Services, ctx: RequestContext, params: Params) -> Output:
    _no_tenants(params)
    services.suppression.delete(ctx.account_id, params["EmailAddress"])
    return {}
