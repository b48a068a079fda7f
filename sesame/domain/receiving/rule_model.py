"""Receipt rule sets, receipt rules and IP address filters: what they hold, SES's rules for their
names and sizes, and their v1 wire shape (which is also the shape they are stored in).

A rule names the recipients it applies to (an address, a domain, or ``.domain`` for every
subdomain; none: every verified domain of the account) and the actions taken, in order, for the
mail it matches. WorkMail and Connect actions need AWS services Sesame does not run, so a rule
that names one is refused when it is created.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sesame.domain.errors import InvalidParameterValue, LimitExceeded

# SES's receiving quotas (per account and region).
MAX_RULE_SETS = 40
MAX_RULES_PER_SET = 200
MAX_RECIPIENTS_PER_RULE = 100
MAX_ACTIONS_PER_RULE = 10
MAX_FILTERS = 100

_RULE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?")
_FILTER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,49}")
_REPLY_CODE = re.compile(r"[45]\d\d")
_STATUS_CODE = re.compile(r"[45]\.\d{1,3}\.\d{1,3}")
MAX_HEADER_VALUE = 2048


class TlsPolicy(StrEnum):
    REQUIRE = "Require"
    OPTIONAL = "Optional"


class FilterPolicy(StrEnum):
    BLOCK = "Block"
    ALLOW = "Allow"


class InvocationType(StrEnum):
    EVENT = "Event"
    REQUEST_RESPONSE = "RequestResponse"


class SnsEncoding(StrEnum):
    UTF8 = "UTF-8"
    BASE64 = "Base64"


@dataclass(frozen=True)
class S3Action:
    bucket_name: str
    object_key_prefix: str = ""
    kms_key_arn: str | None = None
    topic_arn: str | None = None
    iam_role_arn: str | None = None


@dataclass(frozen=True)
class SnsAction:
    topic_arn: str
    encoding: SnsEncoding = SnsEncoding.UTF8


@dataclass(frozen=True)
class LambdaAction:
    function_arn: str
    invocation_type: InvocationType = InvocationType.EVENT
    topic_arn: str | None = None


@dataclass(frozen=True)
class BounceAction:
    smtp_reply_code: str
    message: str
    sender: str
    status_code: str | None = None
    topic_arn: str | None = None


@dataclass(frozen=True)
class StopAction:
    """Stops the evaluation of the rule set (its only scope)."""

    topic_arn: str | None = None


@dataclass(frozen=True)
class AddHeaderAction:
    header_name: str
    header_value: str


ReceiptAction = S3Action | SnsAction | LambdaAction | BounceAction | StopAction | AddHeaderAction


def action_topic(action: ReceiptAction) -> str | None:
    """The SNS topic the action publishes to (the SNS action) or notifies (the others)."""
    if isinstance(action, AddHeaderAction):
        return None
    return action.topic_arn


@dataclass(frozen=True)
class ReceiptRule:
    name: str
    enabled: bool = False
    tls_policy: TlsPolicy = TlsPolicy.OPTIONAL
    recipients: tuple[str, ...] = ()
    actions: tuple[ReceiptAction, ...] = ()
    scan_enabled: bool = False


@dataclass(frozen=True)
class RuleSet:
    name: str
    created_at: float
    rules: tuple[ReceiptRule, ...] = ()

    def rule(self, name: str) -> ReceiptRule | None:
        return next((rule for rule in self.rules if rule.name == name), None)


@dataclass(frozen=True)
class RuleSetSummary:
    name: str
    created_at: float


@dataclass(frozen=True)
class IpFilter:
    name: str
    policy: FilterPolicy
    cidr: str

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.cidr, strict=False)


@dataclass(frozen=True)
class AccountReceiving:
    """What the MX needs of one account: its active rule set and its IP address filters."""

    account_id: str
    rule_set: RuleSet
    filters: tuple[IpFilter, ...] = field(default=())


# --- names and values ----------------------------------------------------------------------------


def check_rule_name(name: str, what: str = "Rule name") -> str:
    if not _RULE_NAME.fullmatch(name or ""):
        raise InvalidParameterValue(
            f"{what} {name!r} is invalid: use 64 or fewer ASCII letters, numbers, underscores, "
            "periods or dashes, starting and ending with a letter or number."
        )
    return name


def check_rule_set_name(name: str) -> str:
    return check_rule_name(name, "Rule set name")


def check_filter(ip_filter: IpFilter) -> IpFilter:
    if not _FILTER_NAME.fullmatch(ip_filter.name or ""):
        raise InvalidParameterValue(
            f"Filter name {ip_filter.name!r} is invalid: use 64 or fewer ASCII letters, numbers, "
            "underscores or dashes, starting and ending with a letter or number."
        )
    try:
        ipaddress.ip_network(ip_filter.cidr, strict=False)
    except ValueError:
        raise InvalidParameterValue(f"Invalid CIDR: {ip_filter.cidr}") from None
    return ip_filter


def _check_recipient(recipient: str) -> str:
    value = recipient.strip()
    if not value or any(c.isspace() for c in value) or value.count("@") > 1 or value.endswith("@"):
        raise InvalidParameterValue(f"Invalid recipient: {recipient!r}")
    return value


def _check_action(action: ReceiptAction) -> None:
    if isinstance(action, AddHeaderAction):
        if not _HEADER_NAME.fullmatch(action.header_name):
            raise InvalidParameterValue(
                f"Invalid header name {action.header_name!r}: use fewer than 50 letters, numbers or dashes."
            )
        value = action.header_value
        if len(value) > MAX_HEADER_VALUE or "\r" in value or "\n" in value:
            raise InvalidParameterValue(
                f"Invalid value for header {action.header_name}: at most {MAX_HEADER_VALUE} "
                "characters, without line breaks."
            )
    elif isinstance(action, BounceAction):
        if not _REPLY_CODE.fullmatch(action.smtp_reply_code):
            raise InvalidParameterValue(f"Invalid SMTP reply code: {action.smtp_reply_code!r}")
        if action.status_code is not None and not _STATUS_CODE.fullmatch(action.status_code):
            raise InvalidParameterValue(f"Invalid SMTP status code: {action.status_code!r}")
        if "@" not in action.sender:
            raise InvalidParameterValue(f"Invalid bounce sender: {action.sender!r}")


def check_rule(rule: ReceiptRule) -> ReceiptRule:
    """The rule with its recipients trimmed; InvalidParameterValue / LimitExceeded otherwise."""
    check_rule_name(rule.name)
    if len(rule.recipients) > MAX_RECIPIENTS_PER_RULE:
        raise LimitExceeded(f"A receipt rule can have at most {MAX_RECIPIENTS_PER_RULE} recipients.")
    if len(rule.actions) > MAX_ACTIONS_PER_RULE:
        raise LimitExceeded(f"A receipt rule can have at most {MAX_ACTIONS_PER_RULE} actions.")
    for action in rule.actions:
        _check_action(action)
    recipients = tuple(_check_recipient(r) for r in rule.recipients)
    return ReceiptRule(
        name=rule.name,
        enabled=rule.enabled,
        tls_policy=rule.tls_policy,
        recipients=recipients,
        actions=rule.actions,
        scan_enabled=rule.scan_enabled,
    )


# --- the v1 wire shape -----------------------------------------------------------------------------

_UNSUPPORTED = {
    "WorkmailAction": "WorkMail actions are not supported: Sesame does not run Amazon WorkMail.",
    "ConnectAction": "Connect actions are not supported: Sesame does not run Amazon Connect.",
}


def _optional(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def action_from_wire(wire: Mapping[str, Any]) -> ReceiptAction:
    present = [key for key, value in wire.items() if value is not None]
    for key in present:
        if key in _UNSUPPORTED:
            raise InvalidParameterValue(_UNSUPPORTED[key])
    if len(present) != 1:
        raise InvalidParameterValue("Each receipt action must name exactly one action.")
    kind, body = present[0], wire[present[0]]
    if kind == "S3Action":
        return S3Action(
            bucket_name=str(body["BucketName"]),
            object_key_prefix=str(body.get("ObjectKeyPrefix") or ""),
            kms_key_arn=_optional(body.get("KmsKeyArn")),
            topic_arn=_optional(body.get("TopicArn")),
            iam_role_arn=_optional(body.get("IamRoleArn")),
        )
    if kind == "SNSAction":
        return SnsAction(
            topic_arn=str(body["TopicArn"]), encoding=SnsEncoding(body.get("Encoding") or SnsEncoding.UTF8)
        )
    if kind == "LambdaAction":
        return LambdaAction(
            function_arn=str(body["FunctionArn"]),
            invocation_type=InvocationType(body.get("InvocationType") or InvocationType.EVENT),
            topic_arn=_optional(body.get("TopicArn")),
        )
    if kind == "BounceAction":
        return BounceAction(
            smtp_reply_code=str(body["SmtpReplyCode"]),
            message=str(body["Message"]),
            sender=str(body["Sender"]),
            status_code=_optional(body.get("StatusCode")),
            topic_arn=_optional(body.get("TopicArn")),
        )
    if kind == "StopAction":
        return StopAction(topic_arn=_optional(body.get("TopicArn")))
    if kind == "AddHeaderAction":
        return AddHeaderAction(header_name=str(body["HeaderName"]), header_value=str(body["HeaderValue"]))
    raise InvalidParameterValue(f"Unknown receipt action: {kind}")


def _with_optional(wire: dict[str, Any], **values: str | None) -> dict[str, Any]:
    wire.update({key: value for key, value in values.items() if value})
    return wire


def action_to_wire(action: ReceiptAction) -> dict[str, Any]:
    if isinstance(action, S3Action):
        body = _with_optional(
            {"BucketName": action.bucket_name},
            ObjectKeyPrefix=action.object_key_prefix,
            KmsKeyArn=action.kms_key_arn,
            TopicArn=action.topic_arn,
            IamRoleArn=action.iam_role_arn,
        )
        return {"S3Action": body}
    if isinstance(action, SnsAction):
        return {"SNSAction": {"TopicArn": action.topic_arn, "Encoding": action.encoding.value}}
    if isinstance(action, LambdaAction):
        body = _with_optional(
            {"FunctionArn": action.function_arn, "InvocationType": action.invocation_type.value},
            TopicArn=action.topic_arn,
        )
        return {"LambdaAction": body}
    if isinstance(action, BounceAction):
        body = _with_optional(
            {"SmtpReplyCode": action.smtp_reply_code, "Message": action.message, "Sender": action.sender},
            StatusCode=action.status_code,
            TopicArn=action.topic_arn,
        )
        return {"BounceAction": body}
    if isinstance(action, StopAction):
        return {"StopAction": _with_optional({"Scope": "RuleSet"}, TopicArn=action.topic_arn)}
    return {"AddHeaderAction": {"HeaderName": action.header_name, "HeaderValue": action.header_value}}


def rule_from_wire(wire: Mapping[str, Any]) -> ReceiptRule:
    actions: Sequence[Mapping[str, Any]] = wire.get("Actions") or ()
    return ReceiptRule(
        name=str(wire["Name"]),
        enabled=bool(wire.get("Enabled", False)),
        tls_policy=TlsPolicy(wire.get("TlsPolicy") or TlsPolicy.OPTIONAL),
        recipients=tuple(str(r) for r in wire.get("Recipients") or ()),
        actions=tuple(action_from_wire(a) for a in actions),
        scan_enabled=bool(wire.get("ScanEnabled", False)),
    )


def rule_to_wire(rule: ReceiptRule) -> dict[str, Any]:
    return {
        "Name": rule.name,
        "Enabled": rule.enabled,
        "TlsPolicy": rule.tls_policy.value,
        "Recipients": list(rule.recipients),
        "Actions": [action_to_wire(action) for action in rule.actions],
        "ScanEnabled": rule.scan_enabled,
    }
