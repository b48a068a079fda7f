"""The DynamoDB item format (pure mapping, no table) and Route 53 TXT value syntax."""

from __future__ import annotations

from typing import Any

from botocore.stub import Stubber

from sesame.adapters.dynamodb_identities import from_item, to_item
from sesame.adapters.route53_dkim import Route53DkimPublisher, txt_text, txt_value
from sesame.domain.dkim import KeyLength
from sesame.domain.identity_model import (
    CheckState,
    Dkim,
    DkimKey,
    Identity,
    IdentityType,
    MailFrom,
    MxFailureBehavior,
    SigningOrigin,
    Status,
    Tag,
    VerificationError,
)
from sesame.domain.identity_ports import DnsRecord


def full_identity() -> Identity:
    return Identity(
        account_id="111111111111",
        name="example.com",
        type=IdentityType.DOMAIN,
        status=Status.TEMPORARY_FAILURE,
        created_at=1_800_000_000.25,
        pending_since=1_800_000_001.5,
        verification_token="tok+/=",
        dkim=Dkim(
            origin=SigningOrigin.AWS_SES,
            enabled=False,
            status=Status.PENDING,
            keys=[DkimKey("sel1", "PUB1", b"\x00\xffcipher"), DkimKey("sel2", "PUB2", b"x")],
            started_at=1_800_000_002.0,
            key_generated_at=1_800_000_003.0,
            current_key_length=KeyLength.RSA_1024_BIT,
            next_key_length=KeyLength.RSA_2048_BIT,
        ),
        mail_from=MailFrom("bounce.example.com", MxFailureBehavior.REJECT_MESSAGE, Status.FAILED, 1.0),
        feedback_forwarding=False,
        configuration_set="cs",
        tags=[Tag("k", "v"), Tag("empty", "")],
        check_state=CheckState.PENDING,
        next_check_at=1_800_000_010.125,
        last_checked_at=1_800_000_005.0,
        last_success_at=1_700_000_000.0,
        last_error=VerificationError.DNS_SERVER_ERROR,
        version=7,
    )


def test_every_field_survives_the_item_format() -> None:
    identity = full_identity()
    assert from_item(to_item(identity)) == identity


def test_a_minimal_identity_survives_too() -> None:
    identity = Identity("1", "a@example.com", IdentityType.EMAIL_ADDRESS, Status.PENDING, 1.0, 1.0)
    assert from_item(to_item(identity)) == identity


def test_a_finished_identity_leaves_the_check_index() -> None:
    identity = full_identity()
    identity.check_state = CheckState.DONE
    item = to_item(identity)
    assert item["check_state"] == {"S": "DONE"} and "next_check_at" not in item
    assert from_item(item).next_check_at is None


def test_txt_values_are_quoted_split_and_escaped() -> None:
    text = 'v=DKIM1; k=rsa; p="' + "A" * 300
    value = txt_value(text)
    assert value.startswith('"v=DKIM1; k=rsa; p=\\"') and '" "' in value
    assert txt_text(value) == text


def test_withdraw_deletes_only_records_that_still_hold_our_value() -> None:
    import boto3

    client = boto3.client(
        "route53", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    publisher = Route53DkimPublisher(client, "Z1", ttl=300)
    ours = DnsRecord("a.dkim.sesame.test", "TXT", "v=DKIM1; k=rsa; p=OLD")
    rotated = DnsRecord("b.dkim.sesame.test", "TXT", "v=DKIM1; k=rsa; p=OLD")
    current_a: dict[str, Any] = {
        "Name": "a.dkim.sesame.test.",
        "Type": "TXT",
        "TTL": 300,
        "ResourceRecords": [{"Value": txt_value(ours.value)}],
    }
    current_b = {
        **current_a,
        "Name": "b.dkim.sesame.test.",
        "ResourceRecords": [{"Value": '"v=DKIM1; k=rsa; p=NEW"'}],
    }
    with Stubber(client) as stub:
        for record, current in ((ours, current_a), (rotated, current_b)):
            stub.add_response(
                "list_resource_record_sets",
                {"ResourceRecordSets": [current], "IsTruncated": False, "MaxItems": "1"},
                {
                    "HostedZoneId": "Z1",
                    "StartRecordName": record.name + ".",
                    "StartRecordType": "TXT",
                    "MaxItems": "1",
                },
            )
        stub.add_response(
            "change_resource_record_sets",
            {"ChangeInfo": {"Id": "c", "Status": "PENDING", "SubmittedAt": "2030-01-01T00:00:00Z"}},
            {
                "HostedZoneId": "Z1",
                "ChangeBatch": {
                    "Comment": "sesame: withdraw DKIM keys",
                    "Changes": [{"Action": "DELETE", "ResourceRecordSet": current_a}],
                },
            },
        )
        publisher.withdraw([ours, rotated])
        stub.assert_no_pending_responses()
