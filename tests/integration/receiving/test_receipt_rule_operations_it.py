"""The receipt rule, rule set and IP filter operations through boto3 ``ses``, the real API
application and the DynamoDB adapter on moto: outputs as botocore reads them, SES's errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.receiving.conftest import A, B, World

pytestmark = pytest.mark.integration

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:f"
MISSING_KEY = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000000"


def error_code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return str(caught.value.response["Error"]["Code"])


def rule(name: str, **fields: Any) -> dict[str, Any]:
    return {"Name": name, **fields}


def rule_names(ses: Any, rule_set: str) -> list[str]:
    return [r["Name"] for r in ses.describe_receipt_rule_set(RuleSetName=rule_set)["Rules"]]


def test_a_rule_set_is_created_described_and_listed(world: World) -> None:
    ses = world.ses(A)
    ses.create_receipt_rule_set(RuleSetName="inbound")

    described = ses.describe_receipt_rule_set(RuleSetName="inbound")
    listed = ses.list_receipt_rule_sets()["RuleSets"]

    assert described["Metadata"]["Name"] == "inbound"
    assert described["Rules"] == []
    assert [(s["Name"], s["CreatedTimestamp"]) for s in listed] == [
        ("inbound", described["Metadata"]["CreatedTimestamp"])
    ]


def test_rule_set_names_are_unique_and_unknown_ones_are_refused(world: World) -> None:
    ses = world.ses(A)
    ses.create_receipt_rule_set(RuleSetName="inbound")

    assert error_code(ses.create_receipt_rule_set, RuleSetName="inbound") == "AlreadyExists"
    assert error_code(ses.describe_receipt_rule_set, RuleSetName="nothing") == "RuleSetDoesNotExist"
    assert error_code(ses.create_receipt_rule_set, RuleSetName="-bad name") == "InvalidParameterValue"


def test_rules_are_placed_after_the_named_rule_or_first(world: World) -> None:
    ses = world.ses(A)
    ses.create_receipt_rule_set(RuleSetName="s")
    ses.create_receipt_rule(RuleSetName="s", Rule=rule("c"))
    ses.create_receipt_rule(RuleSetName="s", Rule=rule("a"))  # no After: first
    ses.create_receipt_rule(RuleSetName="s", Rule=rule("b"), After="a")

    assert rule_names(ses, "s") == ["a", "b", "c"]
    assert (
        error_code(ses.create_receipt_rule, RuleSetName="s", Rule=rule("d"), After="zz") == "RuleDoesNotExist"
    )
    assert error_code(ses.create_receipt_rule, RuleSetName="s", Rule=rule("a")) == "AlreadyExists"
    assert error_code(ses.create_receipt_rule, RuleSetName="none", Rule=rule("a")) == "RuleSetDoesNotExist"


def test_a_rule_keeps_every_field_and_can_be_updated(world: World) -> None:
    ses = world.ses(A)
    bucket = world.bucket("mail-bucket")
    topic = world.topic("incoming")
    ses.create_receipt_rule_set(RuleSetName="s")
    full = rule(
        "store",
        Enabled=True,
        TlsPolicy="Require",
        Recipients=["info@example.com", ".example.org"],
        ScanEnabled=True,
        Actions=[
            {"AddHeaderAction": {"HeaderName": "X-Seen", "HeaderValue": "yes"}},
            {"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "in/", "TopicArn": topic}},
            {"SNSAction": {"TopicArn": topic, "Encoding": "Base64"}},
            {"LambdaAction": {"FunctionArn": FUNCTION, "InvocationType": "RequestResponse"}},
            {
                "BounceAction": {
                    "SmtpReplyCode": "550",
                    "StatusCode": "5.1.1",
                    "Message": "No such mailbox",
                    "Sender": "mailer@example.com",
                }
            },
            {"StopAction": {"Scope": "RuleSet", "TopicArn": topic}},
        ],
    )
    ses.create_receipt_rule(RuleSetName="s", Rule=full)

    assert ses.describe_receipt_rule(RuleSetName="s", RuleName="store")["Rule"] == {
        **full,
        "Actions": [
            full["Actions"][0],
            full["Actions"][1],
            full["Actions"][2],
            {"LambdaAction": {"FunctionArn": FUNCTION, "InvocationType": "RequestResponse"}},
            full["Actions"][4],
            full["Actions"][5],
        ],
    }
    ses.update_receipt_rule(RuleSetName="s", Rule=rule("store", Recipients=["example.net"]))
    assert ses.describe_receipt_rule(RuleSetName="s", RuleName="store")["Rule"] == {
        "Name": "store",
        "Enabled": False,
        "TlsPolicy": "Optional",
        "Recipients": ["example.net"],
        "Actions": [],
        "ScanEnabled": False,
    }
    assert error_code(ses.update_receipt_rule, RuleSetName="s", Rule=rule("other")) == "RuleDoesNotExist"
    assert error_code(ses.describe_receipt_rule, RuleSetName="s", RuleName="other") == "RuleDoesNotExist"


def test_an_s3_action_writes_a_setup_object_and_refuses_a_missing_bucket_or_key(world: World) -> None:
    ses = world.ses(A)
    bucket = world.bucket("mail-bucket")
    ses.create_receipt_rule_set(RuleSetName="s")
    ses.create_receipt_rule(
        RuleSetName="s",
        Rule=rule("r", Actions=[{"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "mail/"}}]),
    )

    keys = [o["Key"] for o in world.aws.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["mail/AMAZON_SES_SETUP_NOTIFICATION"]
    missing_bucket = rule("m", Actions=[{"S3Action": {"BucketName": "no-such-bucket"}}])
    assert (
        error_code(ses.create_receipt_rule, RuleSetName="s", Rule=missing_bucket) == "InvalidS3Configuration"
    )
    missing_key = rule(
        "k",
        Actions=[
            {
                "S3Action": {
                    "BucketName": bucket,
                    "KmsKeyArn": MISSING_KEY,
                }
            }
        ],
    )
    assert error_code(ses.create_receipt_rule, RuleSetName="s", Rule=missing_key) == "InvalidS3Configuration"


def test_unknown_topics_and_functions_and_unsupported_actions_are_refused(world: World) -> None:
    ses = world.ses(A)
    ses.create_receipt_rule_set(RuleSetName="s")
    unknown_topic = "arn:aws:sns:us-east-1:111111111111:nothing"

    def create(action: dict[str, Any]) -> str:
        return error_code(ses.create_receipt_rule, RuleSetName="s", Rule=rule("r", Actions=[action]))

    assert create({"SNSAction": {"TopicArn": unknown_topic}}) == "InvalidSnsTopic"
    assert create({"StopAction": {"Scope": "RuleSet", "TopicArn": unknown_topic}}) == "InvalidSnsTopic"
    assert create({"LambdaAction": {"FunctionArn": FUNCTION + "-missing"}}) == "InvalidLambdaFunction"
    assert create(
        {"WorkmailAction": {"OrganizationArn": "arn:aws:workmail:us-east-1:1:organization/m-1"}}
    ) == ("InvalidParameterValue")
    assert rule_names(ses, "s") == []


def test_rules_can_be_moved_reordered_and_deleted(world: World) -> None:
    ses = world.ses(A)
    ses.create_receipt_rule_set(RuleSetName="s")
    for name in ("c", "b", "a"):
        ses.create_receipt_rule(RuleSetName="s", Rule=rule(name))
    assert rule_names(ses, "s") == ["a", "b", "c"]

    ses.set_receipt_rule_position(RuleSetName="s", RuleName="a", After="c")
    assert rule_names(ses, "s") == ["b", "c", "a"]
    ses.set_receipt_rule_position(RuleSetName="s", RuleName="a")
    assert rule_names(ses, "s") == ["a", "b", "c"]
    ses.reorder_receipt_rule_set(RuleSetName="s", RuleNames=["c", "a", "b"])
    assert rule_names(ses, "s") == ["c", "a", "b"]
    ses.delete_receipt_rule(RuleSetName="s", RuleName="a")
    ses.delete_receipt_rule(RuleSetName="s", RuleName="a")  # already gone: still a success
    assert rule_names(ses, "s") == ["c", "b"]

    assert (
        error_code(ses.reorder_receipt_rule_set, RuleSetName="s", RuleNames=["c", "x"]) == "RuleDoesNotExist"
    )
    assert (
        error_code(ses.reorder_receipt_rule_set, RuleSetName="s", RuleNames=["c"]) == "InvalidParameterValue"
    )
    assert error_code(ses.set_receipt_rule_position, RuleSetName="s", RuleName="x") == "RuleDoesNotExist"
    assert error_code(ses.delete_receipt_rule, RuleSetName="none", RuleName="c") == "RuleSetDoesNotExist"


def test_the_active_rule_set_is_described_and_cannot_be_deleted(world: World) -> None:
    ses = world.ses(A)
    assert "Metadata" not in ses.describe_active_receipt_rule_set()
    ses.create_receipt_rule_set(RuleSetName="s")
    ses.create_receipt_rule(RuleSetName="s", Rule=rule("r", Recipients=["example.com"]))

    ses.set_active_receipt_rule_set(RuleSetName="s")
    active = ses.describe_active_receipt_rule_set()
    assert active["Metadata"]["Name"] == "s"
    assert [r["Name"] for r in active["Rules"]] == ["r"]
    assert error_code(ses.delete_receipt_rule_set, RuleSetName="s") == "CannotDelete"
    assert error_code(ses.set_active_receipt_rule_set, RuleSetName="none") == "RuleSetDoesNotExist"

    ses.set_active_receipt_rule_set()  # no name: no active set
    assert "Metadata" not in ses.describe_active_receipt_rule_set()
    ses.delete_receipt_rule_set(RuleSetName="s")
    assert error_code(ses.describe_receipt_rule_set, RuleSetName="s") == "RuleSetDoesNotExist"


def test_a_deleted_rule_sets_rules_do_not_come_back_with_a_new_set_of_that_name(world: World) -> None:
    ses = world.ses(A)
    ses.create_receipt_rule_set(RuleSetName="s")
    ses.create_receipt_rule(RuleSetName="s", Rule=rule("old"))
    ses.delete_receipt_rule_set(RuleSetName="s")

    ses.create_receipt_rule_set(RuleSetName="s")

    assert rule_names(ses, "s") == []
    ses.create_receipt_rule(RuleSetName="s", Rule=rule("old", Recipients=["new.example"]))
    assert ses.describe_receipt_rule(RuleSetName="s", RuleName="old")["Rule"]["Recipients"] == ["new.example"]


def test_a_clone_copies_the_rules_in_order(world: World) -> None:
    ses = world.ses(A)
    ses.create_receipt_rule_set(RuleSetName="s")
    ses.create_receipt_rule(RuleSetName="s", Rule=rule("b", Recipients=["b.example"]))
    ses.create_receipt_rule(RuleSetName="s", Rule=rule("a", Recipients=["a.example"]))

    ses.clone_receipt_rule_set(RuleSetName="copy", OriginalRuleSetName="s")
    ses.delete_receipt_rule(RuleSetName="s", RuleName="a")

    copy = ses.describe_receipt_rule_set(RuleSetName="copy")["Rules"]
    assert [(r["Name"], r["Recipients"]) for r in copy] == [("a", ["a.example"]), ("b", ["b.example"])]
    assert error_code(ses.clone_receipt_rule_set, RuleSetName="x", OriginalRuleSetName="none") == (
        "RuleSetDoesNotExist"
    )
    assert (
        error_code(ses.clone_receipt_rule_set, RuleSetName="copy", OriginalRuleSetName="s") == "AlreadyExists"
    )


def test_ip_filters_are_created_listed_and_deleted(world: World) -> None:
    ses = world.ses(A)
    ses.create_receipt_filter(
        Filter={"Name": "blocked", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.0/8"}}
    )
    ses.create_receipt_filter(Filter={"Name": "allowed", "IpFilter": {"Policy": "Allow", "Cidr": "10.1.2.3"}})

    assert ses.list_receipt_filters()["Filters"] == [
        {"Name": "allowed", "IpFilter": {"Policy": "Allow", "Cidr": "10.1.2.3"}},
        {"Name": "blocked", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.0/8"}},
    ]
    duplicate = {"Name": "blocked", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.0/8"}}
    assert error_code(ses.create_receipt_filter, Filter=duplicate) == "AlreadyExists"
    bad = {"Name": "bad", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.300"}}
    assert error_code(ses.create_receipt_filter, Filter=bad) == "InvalidParameterValue"
    ses.delete_receipt_filter(FilterName="blocked")
    assert [f["Name"] for f in ses.list_receipt_filters()["Filters"]] == ["allowed"]


def test_accounts_see_only_their_own_rule_sets_and_filters(world: World) -> None:
    a, b = world.ses(A), world.ses(B)
    a.create_receipt_rule_set(RuleSetName="s")
    a.set_active_receipt_rule_set(RuleSetName="s")
    a.create_receipt_filter(Filter={"Name": "f", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.0/8"}})

    assert b.list_receipt_rule_sets()["RuleSets"] == []
    assert b.list_receipt_filters()["Filters"] == []
    assert "Metadata" not in b.describe_active_receipt_rule_set()
    assert error_code(b.describe_receipt_rule_set, RuleSetName="s") == "RuleSetDoesNotExist"
    b.create_receipt_rule_set(RuleSetName="s")  # the same name in another account is another set
    assert [s["Name"] for s in b.list_receipt_rule_sets()["RuleSets"]] == ["s"]
