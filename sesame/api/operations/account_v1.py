"""SES v1 (Query) account operations: quota, statistics and the account's sending switch."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sesame.api.operations.account_v2 import send_quota
from sesame.api.registry import Output, Params, operation

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


@operation(1, "GetSendQuota")
def get_send_quota(services: Services, ctx: RequestContext, params: Params) -> Output:
    return send_quota(services, services.accounts.get_account(ctx.account_id), time.time())


@operation(1, "GetSendStatistics")
def get_send_statistics(services: Services, ctx: RequestContext, params: Params) -> Output:
    points = services.statistics.data_points(ctx.account_id)
    return {
        "SendDataPoints": [
            {
                "Timestamp": datetime.fromtimestamp(point.interval_start, tz=UTC),
                "DeliveryAttempts": point.counts.delivery_attempts,
                "Bounces": point.counts.bounces,
                "Complaints": point.counts.complaints,
                "Rejects": point.counts.rejects,
            }
            for point in points
        ]
    }


@operation(1, "GetAccountSendingEnabled")
def get_account_sending_enabled(services: Services, ctx: RequestContext, params: Params) -> Output:
    # An operator's pause shows as disabled, and the customer's switch cannot lift it (SES).
    return {"Enabled": services.accounts.get_account(ctx.account_id).may_send}


@operation(1, "UpdateAccountSendingEnabled")
def update_account_sending_enabled(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.accounts.set_sending_enabled(ctx.account_id, bool(params.get("Enabled", False)))
    return {}
