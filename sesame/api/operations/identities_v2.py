"""SES v2 (REST-JSON) identity operations: parameters in, IdentityService call, output out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sesame.api.registry import Output, Params, operation
from sesame.domain.dkim import KeyLength
from sesame.domain.errors import InvalidParameterValue
from sesame.domain.identities import (
    Dkim,
    DkimSigningRequest,
    IdentityType,
    IdentityView,
    MxFailureBehavior,
    SigningOrigin,
    Status,
    Tag,
)

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services

DEFAULT_PAGE_SIZE = 1000


def timestamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def signing_origin(value: str | None) -> SigningOrigin | None:
    if value is None:
        return None
    if value in (SigningOrigin.AWS_SES.value, SigningOrigin.EXTERNAL.value):
        return SigningOrigin(value)
    # AWS_SES_<REGION>: Deterministic Easy DKIM, keys replicated from another region's
    # identity. Sesame runs in one region, so there is no parent identity to copy from.
    raise InvalidParameterValue(f"SigningAttributesOrigin {value} is not supported.")


def signing_request(origin: str | None, attributes: dict[str, Any] | None) -> DkimSigningRequest:
    attributes = attributes or {}
    length = attributes.get("NextSigningKeyLength")
    return DkimSigningRequest(
        origin=signing_origin(origin or attributes.get("DomainSigningAttributesOrigin")),
        selector=attributes.get("DomainSigningSelector"),
        private_key=attributes.get("DomainSigningPrivateKey"),
        next_key_length=KeyLength(length) if length else None,
    )


def dkim_attributes(dkim: Dkim | None, zone: str | None) -> dict[str, Any]:
    if dkim is None:
        return {"SigningEnabled": False, "Status": Status.NOT_STARTED.value, "Tokens": []}
    result: dict[str, Any] = {
        "SigningEnabled": dkim.enabled,
        "Status": dkim.status.value,
        "Tokens": dkim.tokens,
        "SigningAttributesOrigin": dkim.origin.value,
        "LastKeyGenerationTimestamp": timestamp(dkim.key_generated_at),
    }
    if dkim.origin is SigningOrigin.AWS_SES:
        if zone:
            result["SigningHostedZone"] = zone
        if dkim.current_key_length is not None:
            result["CurrentSigningKeyLength"] = dkim.current_key_length.value
        if dkim.next_key_length is not None:
            result["NextSigningKeyLength"] = dkim.next_key_length.value
    return result


def _tags(raw: list[dict[str, str]] | None) -> list[Tag]:
    return [Tag(entry["Key"], entry.get("Value", "")) for entry in raw or []]


def _identity_output(services: Services, view: IdentityView) -> Output:
    identity = view.identity
    output: Output = {
        "IdentityType": identity.type.value,
        "FeedbackForwardingStatus": identity.feedback_forwarding,
        "VerifiedForSendingStatus": view.verified_for_sending,
        "DkimAttributes": dkim_attributes(view.dkim, services.identities.signing_zone),
        "Policies": {},
        "Tags": [{"Key": tag.key, "Value": tag.value} for tag in identity.tags],
        "VerificationStatus": identity.status.value,
    }
    if identity.mail_from is not None:
        output["MailFromAttributes"] = {
            "MailFromDomain": identity.mail_from.domain,
            "MailFromDomainStatus": identity.mail_from.status.value,
            "BehaviorOnMxFailure": identity.mail_from.behavior.value,
        }
    else:
        output["MailFromAttributes"] = {"BehaviorOnMxFailure": MxFailureBehavior.USE_DEFAULT_VALUE.value}
    if identity.configuration_set:
        output["ConfigurationSetName"] = identity.configuration_set
    info: dict[str, Any] = {}
    if identity.last_checked_at is not None:
        info["LastCheckedTimestamp"] = timestamp(identity.last_checked_at)
    if identity.last_success_at is not None:
        info["LastSuccessTimestamp"] = timestamp(identity.last_success_at)
    if identity.last_error is not None and identity.status is not Status.SUCCESS:
        info["ErrorType"] = identity.last_error.value
    if info:
        output["VerificationInfo"] = info
    return output


@operation(2, "CreateEmailIdentity")
def create_email_identity(services: Services, ctx: RequestContext, params: Params) -> Output:
    attributes = params.get("DkimSigningAttributes")
    view = services.identities.create_identity(
        ctx.account_id,
        params["EmailIdentity"],
        tags=_tags(params.get("Tags")),
        configuration_set=params.get("ConfigurationSetName"),
        dkim=signing_request(None, attributes) if attributes else None,
    )
    return {
        "IdentityType": view.identity.type.value,
        "VerifiedForSendingStatus": view.verified_for_sending,
        "DkimAttributes": dkim_attributes(view.dkim, services.identities.signing_zone),
    }


@operation(2, "GetEmailIdentity")
def get_email_identity(services: Services, ctx: RequestContext, params: Params) -> Output:
    return _identity_output(services, services.identities.describe(ctx.account_id, params["EmailIdentity"]))


@operation(2, "ListEmailIdentities")
def list_email_identities(services: Services, ctx: RequestContext, params: Params) -> Output:
    filters: dict[str, str] = params.get("Filter") or {}
    kind = filters.get("IDENTITY_TYPE")
    status = filters.get("VERIFICATION_STATUS")
    try:
        identity_type = IdentityType(kind) if kind else None
        wanted_status = Status(status) if status else None
    except ValueError:
        raise InvalidParameterValue("Invalid filter value.") from None
    page_size = params.get("PageSize") or DEFAULT_PAGE_SIZE
    items, next_token = services.identities.list_identities(
        ctx.account_id,
        identity_type=identity_type,
        status=wanted_status,
        name_contains=filters.get("IDENTITY_NAME_CONTAINS"),
        next_token=params.get("NextToken"),
        limit=page_size,
    )
    output: Output = {
        "EmailIdentities": [
            {
                "IdentityType": item.type.value,
                "IdentityName": item.name,
                "SendingEnabled": item.status is Status.SUCCESS,
                "VerificationStatus": item.status.value,
            }
            for item in items
        ]
    }
    if next_token:
        output["NextToken"] = next_token
    return output


@operation(2, "DeleteEmailIdentity")
def delete_email_identity(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.identities.delete_identity(ctx.account_id, params["EmailIdentity"])
    return {}


@operation(2, "PutEmailIdentityDkimAttributes")
def put_email_identity_dkim_attributes(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.identities.set_dkim_enabled(
        ctx.account_id, params["EmailIdentity"], bool(params.get("SigningEnabled", False))
    )
    return {}


@operation(2, "PutEmailIdentityDkimSigningAttributes")
def put_email_identity_dkim_signing_attributes(
    services: Services, ctx: RequestContext, params: Params
) -> Output:
    request = signing_request(params["SigningAttributesOrigin"], params.get("SigningAttributes"))
    view = services.identities.set_dkim_signing(ctx.account_id, params["EmailIdentity"], request)
    attributes = dkim_attributes(view.dkim, services.identities.signing_zone)
    output: Output = {"DkimStatus": attributes["Status"], "DkimTokens": attributes["Tokens"]}
    if "SigningHostedZone" in attributes:
        output["SigningHostedZone"] = attributes["SigningHostedZone"]
    return output


@operation(2, "PutEmailIdentityMailFromAttributes")
def put_email_identity_mail_from_attributes(
    services: Services, ctx: RequestContext, params: Params
) -> Output:
    behavior = params.get("BehaviorOnMxFailure")
    services.identities.set_mail_from(
        ctx.account_id,
        params["EmailIdentity"],
        params.get("MailFromDomain"),
        MxFailureBehavior(behavior) if behavior else None,
    )
    return {}


@operation(2, "PutEmailIdentityFeedbackAttributes")
def put_email_identity_feedback_attributes(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.identities.set_feedback_forwarding(
        ctx.account_id, params["EmailIdentity"], bool(params.get("EmailForwardingEnabled", False))
    )
    return {}


@operation(2, "PutEmailIdentityConfigurationSetAttributes")
def put_email_identity_configuration_set_attributes(
    services: Services, ctx: RequestContext, params: Params
) -> Output:
    services.identities.set_configuration_set(
        ctx.account_id, params["EmailIdentity"], params.get("ConfigurationSetName")
    )
    return {}
