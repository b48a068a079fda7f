"""SES v1 (Query) identity operations: parameters in, IdentityService call, output out.

v1 differs from v2 in its spellings (``Pending`` for ``PENDING``) and in how it treats unknown
identities: the Get*Attributes calls leave them out of their maps, DeleteIdentity accepts
them, and the Set* calls refuse them with InvalidParameterValue rather than a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sesame.api.registry import Output, Params, operation
from sesame.domain.errors import InvalidParameterValue, NotFound
from sesame.domain.identities import IdentityType, MxFailureBehavior, Status

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services

DEFAULT_MAX_ITEMS = 1000


@operation(1, "VerifyEmailIdentity")
def verify_email_identity(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.identities.verify_email(ctx.account_id, params["EmailAddress"])
    return {}


@operation(1, "VerifyEmailAddress")
def verify_email_address(services: Services, ctx: RequestContext, params: Params) -> Output:
    # The deprecated spelling of VerifyEmailIdentity: the same identity, the same link.
    services.identities.verify_email(ctx.account_id, params["EmailAddress"])
    return {}


@operation(1, "VerifyDomainIdentity")
def verify_domain_identity(services: Services, ctx: RequestContext, params: Params) -> Output:
    return {"VerificationToken": services.identities.verify_domain(ctx.account_id, params["Domain"])}


@operation(1, "VerifyDomainDkim")
def verify_domain_dkim(services: Services, ctx: RequestContext, params: Params) -> Output:
    return {"DkimTokens": services.identities.verify_domain_dkim(ctx.account_id, params["Domain"])}


@operation(1, "ListIdentities")
def list_identities(services: Services, ctx: RequestContext, params: Params) -> Output:
    kind = params.get("IdentityType")
    items, next_token = services.identities.list_identities(
        ctx.account_id,
        identity_type=IdentityType.from_v1(kind) if kind else None,
        next_token=params.get("NextToken"),
        limit=params.get("MaxItems") or DEFAULT_MAX_ITEMS,
    )
    output: Output = {"Identities": [item.name for item in items]}
    if next_token:
        output["NextToken"] = next_token
    return output


@operation(1, "ListVerifiedEmailAddresses")
def list_verified_email_addresses(services: Services, ctx: RequestContext, params: Params) -> Output:
    return {"VerifiedEmailAddresses": services.identities.list_verified_email_addresses(ctx.account_id)}


@operation(1, "GetIdentityVerificationAttributes")
def get_identity_verification_attributes(services: Services, ctx: RequestContext, params: Params) -> Output:
    views = services.identities.describe_many(ctx.account_id, params["Identities"])
    attributes: dict[str, Any] = {}
    for name, view in views.items():
        entry: dict[str, Any] = {"VerificationStatus": view.identity.status.v1}
        if view.identity.verification_token:
            entry["VerificationToken"] = view.identity.verification_token
        attributes[name] = entry
    return {"VerificationAttributes": attributes}


@operation(1, "GetIdentityDkimAttributes")
def get_identity_dkim_attributes(services: Services, ctx: RequestContext, params: Params) -> Output:
    views = services.identities.describe_many(ctx.account_id, params["Identities"])
    attributes: dict[str, Any] = {}
    for name, view in views.items():
        dkim = view.dkim
        if dkim is None:
            attributes[name] = {"DkimEnabled": False, "DkimVerificationStatus": Status.NOT_STARTED.v1}
        else:
            attributes[name] = {
                "DkimEnabled": dkim.enabled,
                "DkimVerificationStatus": dkim.status.v1,
                "DkimTokens": dkim.tokens,
            }
    return {"DkimAttributes": attributes}


@operation(1, "SetIdentityDkimEnabled")
def set_identity_dkim_enabled(services: Services, ctx: RequestContext, params: Params) -> Output:
    identity = params["Identity"]
    try:
        services.identities.set_dkim_enabled(ctx.account_id, identity, bool(params["DkimEnabled"]))
    except NotFound:
        domain = identity.rpartition("@")[2]
        raise InvalidParameterValue(f"Domain {domain} is not verified for DKIM signing.") from None
    return {}


@operation(1, "SetIdentityMailFromDomain")
def set_identity_mail_from_domain(services: Services, ctx: RequestContext, params: Params) -> Output:
    identity = params["Identity"]
    behavior = params.get("BehaviorOnMXFailure")
    try:
        services.identities.set_mail_from(
            ctx.account_id,
            identity,
            params.get("MailFromDomain"),
            MxFailureBehavior.from_v1(behavior) if behavior else None,
        )
    except NotFound:
        raise InvalidParameterValue(f"Identity <{identity}> does not exist.") from None
    return {}


@operation(1, "GetIdentityMailFromDomainAttributes")
def get_identity_mail_from_domain_attributes(
    services: Services, ctx: RequestContext, params: Params
) -> Output:
    views = services.identities.describe_many(ctx.account_id, params["Identities"])
    attributes: dict[str, Any] = {}
    for name, view in views.items():
        mail_from = view.identity.mail_from
        if mail_from is None:
            # SES answers an identity without a custom MAIL FROM with the behaviour alone.
            attributes[name] = {"BehaviorOnMXFailure": MxFailureBehavior.USE_DEFAULT_VALUE.v1}
        else:
            attributes[name] = {
                "MailFromDomain": mail_from.domain,
                "MailFromDomainStatus": mail_from.status.v1,
                "BehaviorOnMXFailure": mail_from.behavior.v1,
            }
    return {"MailFromDomainAttributes": attributes}


@operation(1, "DeleteIdentity")
def delete_identity(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.identities.delete_identity(ctx.account_id, params["Identity"], missing_ok=True)
    return {}


@operation(1, "DeleteVerifiedEmailAddress")
def delete_verified_email_address(services: Services, ctx: RequestContext, params: Params) -> Output:
    address = params["EmailAddress"]
    if "@" not in address:
        raise InvalidParameterValue(f"Invalid email address<{address}>.")
    services.identities.delete_identity(ctx.account_id, address, missing_ok=True)
    return {}
