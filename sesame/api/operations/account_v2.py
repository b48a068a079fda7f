"""SES v2 (REST-JSON) account operations: GetAccount and the Put* calls that change the account."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sesame.api.registry import Output, Params, operation
from sesame.domain.accounts import Account, AccountDetails
from sesame.domain.errors import InvalidParameterValue
from sesame.domain.suppression import SuppressionReason

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


def send_quota(services: Services, account: Account, now: float) -> Output:
    return {
        "Max24HourSend": account.max_24_hour_send,
        "MaxSendRate": account.max_send_rate,
        "SentLast24Hours": services.quotas.sent_last_24_hours(account.account_id, now),
    }


def _details_output(details: AccountDetails) -> Output:
    output: Output = {"MailType": details.mail_type, "WebsiteURL": details.website_url}
    if details.contact_language:
        output["ContactLanguage"] = details.contact_language
    if details.use_case_description:
        output["UseCaseDescription"] = details.use_case_description
    if details.additional_contact_email_addresses:
        output["AdditionalContactEmailAddresses"] = list(details.additional_contact_email_addresses)
    if details.review_status is not None:
        output["ReviewDetails"] = {"Status": details.review_status.value}
    return output


@operation(2, "GetAccount")
def get_account(services: Services, ctx: RequestContext, params: Params) -> Output:
    account = services.accounts.get_account(ctx.account_id)
    output: Output = {
        "DedicatedIpAutoWarmupEnabled": False,
        # The operator's `pause-sending` is SES's enforcement pause: the account is shut down.
        "EnforcementStatus": "SHUTDOWN" if account.operator_paused else "HEALTHY",
        "ProductionAccessEnabled": not account.sandbox,
        "SendQuota": send_quota(services, account, time.time()),
        "SendingEnabled": account.may_send,
        "SuppressionAttributes": {"SuppressedReasons": [r.value for r in account.suppressed_reasons]},
    }
    if account.details is not None:
        output["Details"] = _details_output(account.details)
    return output


@operation(2, "PutAccountSendingAttributes")
def put_account_sending_attributes(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.accounts.set_sending_enabled(ctx.account_id, bool(params.get("SendingEnabled", False)))
    return {}


@operation(2, "PutAccountDetails")
def put_account_details(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.accounts.submit_details(
        ctx.account_id,
        mail_type=params["MailType"],
        website_url=params["WebsiteURL"],
        contact_language=params.get("ContactLanguage"),
        use_case_description=params.get("UseCaseDescription"),
        additional_contact_email_addresses=params.get("AdditionalContactEmailAddresses") or (),
        production_access=bool(params.get("ProductionAccessEnabled", False)),
    )
    return {}


@operation(2, "PutAccountSuppressionAttributes")
def put_account_suppression_attributes(services: Services, ctx: RequestContext, params: Params) -> Output:
    validation: dict[str, Any] | None = params.get("ValidationAttributes")
    if validation is not None:
        threshold = validation.get("ConditionThreshold") or {}
        if threshold.get("ConditionThresholdEnabled") == "ENABLED":
            raise InvalidParameterValue("Auto Validation is not supported by Sesame.")
    reasons = [SuppressionReason(value) for value in params.get("SuppressedReasons") or []]
    services.accounts.set_suppressed_reasons(ctx.account_id, reasons)
    return {}
