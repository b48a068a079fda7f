"""SES v1 (Query) identity notification operations: SNS topics per notification type, headers
in notifications, and feedback forwarding by email.

As in SES, an identity may be named by its ARN, an unknown identity is refused with
InvalidParameterValue, and GetIdentityNotificationAttributes leaves unknown ones out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sesame.api.registry import Output, Params, operation
from sesame.domain.errors import InvalidParameterValue, NotFound
from sesame.domain.identities import NotificationAttributes, NotificationType

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


def identity_name(ctx: RequestContext, raw: str) -> str:
    """The identity's name, also when given as ``arn:aws:ses:<region>:<account>:identity/<name>``
    of the caller's own account."""
    prefix, sep, name = raw.partition(":identity/")
    parts = prefix.split(":")
    if sep and len(parts) == 5 and parts[0] == "arn" and parts[2] == "ses" and parts[4] == ctx.account_id:
        return name
    return raw


def _unknown(identity: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Identity {identity} is invalid. Must be a verified email address or domain."
    )


def _attributes(attributes: NotificationAttributes) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    # SES leaves out the topics that are not set.
    for kind in NotificationType:
        topic = attributes.topics.get(kind)
        if topic is not None:
            entry[f"{kind.value}Topic"] = topic
    entry["ForwardingEnabled"] = attributes.forwarding_enabled
    for kind in NotificationType:
        entry[f"HeadersIn{kind.value}NotificationsEnabled"] = kind in attributes.headers_in
    return entry


@operation(1, "SetIdentityNotificationTopic")
def set_identity_notification_topic(services: Services, ctx: RequestContext, params: Params) -> Output:
    identity = params["Identity"]
    try:
        services.identities.set_notification_topic(
            ctx.account_id,
            identity_name(ctx, identity),
            NotificationType(params["NotificationType"]),
            params.get("SnsTopic"),
        )
    except NotFound:
        raise _unknown(identity) from None
    return {}


@operation(1, "SetIdentityFeedbackForwardingEnabled")
def set_identity_feedback_forwarding_enabled(
    services: Services, ctx: RequestContext, params: Params
) -> Output:
    identity = params["Identity"]
    try:
        services.identities.set_feedback_forwarding(
            ctx.account_id,
            identity_name(ctx, identity),
            bool(params["ForwardingEnabled"]),
            require_topics=True,
        )
    except NotFound:
        raise _unknown(identity) from None
    return {}


@operation(1, "SetIdentityHeadersInNotificationsEnabled")
def set_identity_headers_in_notifications_enabled(
    services: Services, ctx: RequestContext, params: Params
) -> Output:
    identity = params["Identity"]
    try:
        services.identities.set_headers_in_notifications(
            ctx.account_id,
            identity_name(ctx, identity),
            NotificationType(params["NotificationType"]),
            bool(params["Enabled"]),
        )
    except NotFound:
        raise _unknown(identity) from None
    return {}


@operation(1, "GetIdentityNotificationAttributes")
def get_identity_notification_attributes(services: Services, ctx: RequestContext, params: Params) -> Output:
    raw_names: list[str] = params["Identities"]
    names = {raw: identity_name(ctx, raw) for raw in raw_names}
    found = services.identities.notification_attributes(ctx.account_id, list(names.values()))
    return {
        "NotificationAttributes": {
            raw: _attributes(found[name]) for raw, name in names.items() if name in found
        }
    }
