"""Templates and personalized sending through boto3 (``ses`` and ``sesv2``) against a running
`sesame local` relaying to a real SMTP sink: the template operations with SES's limits and
error codes, templated and bulk sends with per-destination results, rendering failures as
events, and custom verification emails whose link verifies the address and redirects."""

from __future__ import annotations

import base64
import email
import email.policy
import http.client
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.compat_clients import (
    client_error,
    running_local,
    sdk_client,
    sesame_admin,
    wait_for,
)
from tests.support.dns_server import DnsTestServer
from tests.support.event_stream import EventReader, subscribe_events
from tests.support.local_process import LocalProcess
from tests.support.smtp_sink import ReceivedMessage, SmtpSink

SENDER_DOMAIN = "news.test"
RECIPIENT_DOMAIN = "readers.test"
PRODUCTION_DOMAIN = "brand.test"
ACCOUNT = "000000000001"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def local(dns_server: DnsTestServer, sink: SmtpSink) -> Iterator[LocalProcess]:
    with running_local(
        "--dns", dns_server.address,
        "--check-interval", "0.5",
        "--relay", sink.address,
        "--retry-base", "0.5",
        "--max-send-rate", "200",
        "--max-24-hour-send", "5000",
    ) as process:  # fmt: skip
        yield process


@pytest.fixture(scope="module")
def events(local: LocalProcess) -> EventReader:
    return subscribe_events(local, "template-events")


def _verify_domain(local: LocalProcess, dns_server: DnsTestServer, v1: Any, domain: str) -> None:
    token = v1.verify_domain_identity(Domain=domain)["VerificationToken"]
    dns_server.set(f"_amazonses.{domain}", "TXT", token)
    wait_for(
        lambda: v1.get_identity_verification_attributes(Identities=[domain])["VerificationAttributes"],
        lambda found: found.get(domain, {}).get("VerificationStatus") == "Success",
    )


@pytest.fixture(scope="module")
def verified(local: LocalProcess, dns_server: DnsTestServer) -> None:
    """The bootstrap account (in the sandbox) with its sender and recipient domains verified."""
    v1 = sdk_client(local, "ses")
    for domain in (SENDER_DOMAIN, RECIPIENT_DOMAIN):
        _verify_domain(local, dns_server, v1, domain)


@pytest.fixture(scope="module")
def production(local: LocalProcess, dns_server: DnsTestServer) -> dict[str, Any]:
    """A second account, with production access and its own verified domain: its v1 and v2
    clients and its id."""
    account = sesame_admin(local, "create-account", "--production")
    key = sesame_admin(local, "create-access-key", "--account-id", account["account_id"])
    clients = {
        name: sdk_client(local, name, key_id=key["access_key_id"], secret=key["secret_access_key"])
        for name in ("ses", "sesv2")
    }
    _verify_domain(local, dns_server, clients["ses"], PRODUCTION_DOMAIN)
    return {"account_id": account["account_id"], **clients}


def _received_by(sink: SmtpSink, recipient: str, timeout: float = 20.0) -> list[ReceivedMessage]:
    return wait_for(lambda: [m for m in sink.messages if recipient in m.recipients], bool, timeout=timeout)


def _parts(received: ReceivedMessage) -> tuple[str, str, str]:
    """Subject, text and HTML of a delivered message."""
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return (
        str(message["Subject"]),
        "" if text is None else text.get_content(),
        "" if html is None else html.get_content(),
    )


WELCOME = {
    "TemplateName": "Welcome",
    "SubjectPart": "Welcome, {{name}}!",
    "TextPart": "Dear {{name}}, your city is {{contact.city}}.",
    "HtmlPart": (
        "<h1>Hello {{name}}</h1>{{#if vip}}<p>VIP</p>{{/if}}"
        "<ul>{{#each items}}<li>{{@index}}:{{this}}</li>{{/each}}</ul>"
    ),
}


# --- template operations ----------------------------------------------------------------------------


def test_v1_template_operations_store_render_page_and_delete(local: LocalProcess) -> None:
    v1 = sdk_client(local, "ses")
    v1.create_template(Template=WELCOME)
    v1.create_template(Template={"TemplateName": "Second", "SubjectPart": "s"})
    assert v1.get_template(TemplateName="Welcome")["Template"] == WELCOME
    v1.update_template(Template={**WELCOME, "SubjectPart": "Hi {{name}}"})
    assert v1.get_template(TemplateName="Welcome")["Template"]["SubjectPart"] == "Hi {{name}}"

    first = v1.list_templates(MaxItems=1)
    assert [t["Name"] for t in first["TemplatesMetadata"]] == ["Second"]
    rest = v1.list_templates(MaxItems=1, NextToken=first["NextToken"])
    assert [t["Name"] for t in rest["TemplatesMetadata"]] == ["Welcome"] and "NextToken" not in rest
    assert rest["TemplatesMetadata"][0]["CreatedTimestamp"].year >= 2024

    data = {"name": "<Ann>", "contact": {"city": "Paris"}, "vip": True, "items": ["a", "b"]}
    rendered = v1.test_render_template(TemplateName="Welcome", TemplateData=json.dumps(data))[
        "RenderedTemplate"
    ]
    message = email.message_from_string(rendered, policy=email.policy.default)
    assert message["Subject"] == "Hi <Ann>"
    assert message.get_body(("html",)).get_content().strip() == (
        "<h1>Hello &lt;Ann&gt;</h1><p>VIP</p><ul><li>0:a</li><li>1:b</li></ul>"
    )
    v1.delete_template(TemplateName="Second")
    v1.delete_template(TemplateName="Second")  # v1 answers success for a template that is gone
    assert [t["Name"] for t in v1.list_templates()["TemplatesMetadata"]] == ["Welcome"]


def test_v1_template_errors_have_ses_codes(local: LocalProcess) -> None:
    v1 = sdk_client(local, "ses")
    v1.create_template(Template={"TemplateName": "Errors", "SubjectPart": "{{name}}"})
    assert client_error(v1.create_template, Template={"TemplateName": "Errors"}).code == "AlreadyExists"
    for call, kwargs in (
        (v1.get_template, {"TemplateName": "Nope"}),
        (v1.update_template, {"Template": {"TemplateName": "Nope", "SubjectPart": "x"}}),
        (v1.test_render_template, {"TemplateName": "Nope", "TemplateData": "{}"}),
    ):
        assert client_error(call, **kwargs).code == "TemplateDoesNotExist"
    missing = client_error(v1.test_render_template, TemplateName="Errors", TemplateData='{"other": 1}')
    assert (missing.code, missing.status) == ("MissingRenderingAttribute", 400)
    assert "Attribute 'name' is not present in the rendering data." in missing.message
    not_object = client_error(v1.test_render_template, TemplateName="Errors", TemplateData="[1]")
    assert not_object.code == "InvalidRenderingParameter"
    broken = client_error(v1.create_template, Template={"TemplateName": "Broken", "HtmlPart": "{{#if x}}"})
    assert broken.code == "InvalidTemplate"
    for name in ("has space", "x" * 65):
        assert (
            client_error(v1.create_template, Template={"TemplateName": name}).code == "InvalidParameterValue"
        )
    v1.create_template(Template={"TemplateName": "x" * 64})
    third = 500 * 1024 // 3 + 1
    too_big = {
        "TemplateName": "Big",
        "SubjectPart": "s" * third,
        "TextPart": "t" * third,
        "HtmlPart": "h" * third,
    }
    assert client_error(v1.create_template, Template=too_big).code == "InvalidParameterValue"


def test_v2_template_operations_share_the_store_and_answer_v2_codes(local: LocalProcess) -> None:
    v1, v2 = sdk_client(local, "ses"), sdk_client(local, "sesv2")
    content = {"Subject": "Order {{order.id}}", "Text": "Thanks {{name}}", "Html": "<p>{{{banner}}}</p>"}
    v2.create_email_template(
        TemplateName="Order", TemplateContent=content, Tags=[{"Key": "team", "Value": "shop"}]
    )
    got = v2.get_email_template(TemplateName="Order")
    assert got["TemplateContent"] == content and got["Tags"] == [{"Key": "team", "Value": "shop"}]
    assert v1.get_template(TemplateName="Order")["Template"]["SubjectPart"] == "Order {{order.id}}"
    v2.update_email_template(TemplateName="Order", TemplateContent={**content, "Text": "Thank you {{name}}"})
    assert v2.get_email_template(TemplateName="Order")["TemplateContent"]["Text"] == "Thank you {{name}}"
    names = [t["TemplateName"] for t in v2.list_email_templates(PageSize=100)["TemplatesMetadata"]]
    assert "Order" in names and "Welcome" in names
    rendered = v2.test_render_email_template(
        TemplateName="Order",
        TemplateData=json.dumps({"order": {"id": 7}, "name": "Bo", "banner": "<b>!</b>"}),
    )["RenderedTemplate"]
    assert "Order 7" in rendered and "<p><b>!</b></p>" in rendered

    exists = client_error(v2.create_email_template, TemplateName="Order", TemplateContent=content)
    assert (exists.code, exists.status) == ("AlreadyExistsException", 400)
    gone = client_error(v2.get_email_template, TemplateName="Nope")
    assert (gone.code, gone.status) == ("NotFoundException", 404)
    assert client_error(v2.delete_email_template, TemplateName="Nope").code == "NotFoundException"
    missing = client_error(v2.test_render_email_template, TemplateName="Order", TemplateData="{}")
    assert missing.code == "BadRequestException" and "is not present in the rendering data" in missing.message
    bad_name = client_error(v2.create_email_template, TemplateName="bad name", TemplateContent=content)
    assert bad_name.code == "BadRequestException"
    v2.delete_email_template(TemplateName="Order")
    assert client_error(v1.get_template, TemplateName="Order").code == "TemplateDoesNotExist"


# --- sending with templates ------------------------------------------------------------------------


def test_v1_templated_email_reaches_the_recipient_personalized(
    local: LocalProcess, sink: SmtpSink, verified: None, events: EventReader
) -> None:
    v1 = sdk_client(local, "ses")
    data = {"name": "Ann & Co", "contact": {"city": "Lyon"}, "vip": False, "items": ["tea"]}
    message_id = v1.send_templated_email(
        Source=f"News <hello@{SENDER_DOMAIN}>",
        Destination={"ToAddresses": [f"ann@{RECIPIENT_DOMAIN}"]},
        Template="Welcome",
        TemplateData=json.dumps(data),
        Tags=[{"Name": "campaign", "Value": "spring"}],
    )["MessageId"]
    (received,) = _received_by(sink, f"ann@{RECIPIENT_DOMAIN}")
    subject, text, html = _parts(received)
    assert subject == "Hi Ann & Co"
    assert text.strip() == "Dear Ann & Co, your city is Lyon."
    assert html.strip() == "<h1>Hello Ann &amp; Co</h1><ul><li>0:tea</li></ul>"
    (send,) = events.for_message(message_id, "Send")
    assert send["mail"]["tags"]["campaign"] == ["spring"]
    assert events.for_message(message_id, "Delivery")


def test_v1_bulk_gives_each_destination_its_own_message_and_status(
    local: LocalProcess, sink: SmtpSink, verified: None, events: EventReader
) -> None:
    v1 = sdk_client(local, "ses")
    answer = v1.send_bulk_templated_email(
        Source=f"hello@{SENDER_DOMAIN}",
        Template="Welcome",
        DefaultTemplateData=json.dumps({"name": "friend", "contact": {"city": "?"}, "items": []}),
        DefaultTags=[{"Name": "batch", "Value": "b1"}],
        Destinations=[
            {
                "Destination": {"ToAddresses": [f"bob@{RECIPIENT_DOMAIN}"]},
                "ReplacementTemplateData": json.dumps({"name": "Bob", "contact": {"city": "Oslo"}}),
                "ReplacementTags": [{"Name": "batch", "Value": "b2"}],
            },
            {"Destination": {"ToAddresses": [f"stranger@{SENDER_DOMAIN}.example"]}},  # sandbox: unverified
            {"Destination": {"ToAddresses": [f"cat@{RECIPIENT_DOMAIN}"]}},
            {
                "Destination": {"ToAddresses": [f"dan@{RECIPIENT_DOMAIN}"]},
                "ReplacementTemplateData": "not json",
            },
        ],
    )["Status"]
    assert [entry["Status"] for entry in answer] == ["Success", "MessageRejected", "Success", "Success"]
    assert "not verified" in answer[1]["Error"] and "MessageId" not in answer[1]
    ids = [entry.get("MessageId") for entry in answer]
    assert len({ids[0], ids[2], ids[3]}) == 3

    (to_bob,) = _received_by(sink, f"bob@{RECIPIENT_DOMAIN}")
    (to_cat,) = _received_by(sink, f"cat@{RECIPIENT_DOMAIN}")
    assert _parts(to_bob)[1].strip() == "Dear Bob, your city is Oslo."
    assert _parts(to_cat)[1].strip() == "Dear friend, your city is ?."
    assert to_bob.recipients == (f"bob@{RECIPIENT_DOMAIN}",)
    (send_bob,) = events.for_message(ids[0], "Send")
    assert send_bob["mail"]["tags"]["batch"] == ["b2"]
    (failure,) = events.for_message(ids[3], "Rendering Failure")
    assert failure["failure"]["templateName"] == "Welcome"
    assert failure["failure"]["errorMessage"]
    assert failure["mail"]["destination"] == [f"dan@{RECIPIENT_DOMAIN}"]
    assert not [m for m in sink.messages if f"dan@{RECIPIENT_DOMAIN}" in m.recipients]


def test_a_rendering_failure_publishes_the_event_and_delivers_nothing(
    local: LocalProcess, sink: SmtpSink, verified: None, events: EventReader
) -> None:
    v1 = sdk_client(local, "ses")
    message_id = v1.send_templated_email(
        Source=f"hello@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [f"eve@{RECIPIENT_DOMAIN}"]},
        Template="Welcome",
        TemplateData=json.dumps({"name": "Eve"}),  # contact.city is missing
    )["MessageId"]
    (failure,) = events.for_message(message_id, "Rendering Failure")
    assert failure["failure"] == {
        "templateName": "Welcome",
        "errorMessage": "Attribute 'contact.city' is not present in the rendering data.",
    }
    assert failure["mail"]["source"] == f"hello@{SENDER_DOMAIN}"
    assert events.types_for(message_id) == ["Rendering Failure"]
    assert not [m for m in sink.messages if f"eve@{RECIPIENT_DOMAIN}" in m.recipients]


def test_v2_send_email_with_a_template_by_name_by_arn_and_inline(
    local: LocalProcess, sink: SmtpSink, verified: None
) -> None:
    v2 = sdk_client(local, "sesv2")
    data = json.dumps({"name": "Fay", "contact": {"city": "Rome"}, "items": []})
    arn = f"arn:aws:ses:{REGION}:{ACCOUNT}:template/Welcome"
    for label, template in (
        ("byname", {"TemplateName": "Welcome", "TemplateData": data}),
        ("byarn", {"TemplateArn": arn, "TemplateData": data}),
        (
            "inline",
            {
                "TemplateContent": {"Subject": "Inline {{name}}", "Text": "Ciao {{contact.city}}"},
                "TemplateData": data,
                "Headers": [{"Name": "X-Campaign", "Value": "inline"}],
            },
        ),
    ):
        to = f"fay+{label}@{RECIPIENT_DOMAIN}"
        v2.send_email(
            FromEmailAddress=f"hello@{SENDER_DOMAIN}",
            Destination={"ToAddresses": [to]},
            Content={"Template": template},
        )
        (received,) = _received_by(sink, to)
        subject, text, _ = _parts(received)
        if label == "inline":
            assert (subject, text.strip()) == ("Inline Fay", "Ciao Rome")
            assert b"X-Campaign: inline" in received.data
        else:
            assert subject == "Hi Fay"
    missing = client_error(
        v2.send_email,
        FromEmailAddress=f"hello@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [f"fay@{RECIPIENT_DOMAIN}"]},
        Content={"Template": {"TemplateName": "Nope", "TemplateData": "{}"}},
    )
    assert (missing.code, missing.status) == ("NotFoundException", 404)
    other_account = client_error(
        v2.send_email,
        FromEmailAddress=f"hello@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [f"fay@{RECIPIENT_DOMAIN}"]},
        Content={"Template": {"TemplateArn": arn.replace(ACCOUNT, "999999999999"), "TemplateData": "{}"}},
    )
    assert other_account.code == "NotFoundException"


def test_v2_bulk_email_results_per_entry(
    local: LocalProcess, sink: SmtpSink, verified: None, events: EventReader
) -> None:
    v2 = sdk_client(local, "sesv2")
    entries = [
        {
            "Destination": {"ToAddresses": [f"reader{i}@{RECIPIENT_DOMAIN}"]},
            "ReplacementEmailContent": {
                "ReplacementTemplate": {"ReplacementTemplateData": json.dumps({"name": f"Reader {i}"})}
            },
        }
        for i in range(48)
    ]
    entries.append({"Destination": {"ToAddresses": ["someone@unverified.example"]}})
    entries.append(
        {
            "Destination": {"ToAddresses": [f"broken@{RECIPIENT_DOMAIN}"]},
            "ReplacementEmailContent": {"ReplacementTemplate": {"ReplacementTemplateData": "[]"}},
        }
    )
    results = v2.send_bulk_email(
        FromEmailAddress=f"hello@{SENDER_DOMAIN}",
        DefaultContent={
            "Template": {
                "TemplateName": "Welcome",
                "TemplateData": json.dumps({"name": "x", "contact": {"city": "Kyiv"}, "items": []}),
            }
        },
        BulkEmailEntries=entries,
    )["BulkEmailEntryResults"]
    assert [r["Status"] for r in results] == ["SUCCESS"] * 48 + ["MESSAGE_REJECTED", "SUCCESS"]
    for i in (0, 47):
        (received,) = _received_by(sink, f"reader{i}@{RECIPIENT_DOMAIN}")
        assert _parts(received)[0] == f"Hi Reader {i}"
    assert events.for_message(results[49]["MessageId"], "Rendering Failure")

    def bulk(**kwargs: Any) -> Any:
        return v2.send_bulk_email(FromEmailAddress=f"hello@{SENDER_DOMAIN}", **kwargs)

    too_many = client_error(
        bulk,
        DefaultContent={"Template": {"TemplateName": "Welcome", "TemplateData": "{}"}},
        BulkEmailEntries=entries + entries[:1],
    )
    assert too_many.code == "BadRequestException"
    no_template = client_error(
        bulk,
        DefaultContent={"Template": {"TemplateName": "Nope", "TemplateData": "{}"}},
        BulkEmailEntries=entries[:1],
    )
    assert no_template.code == "NotFoundException"


def test_v1_templated_send_errors(local: LocalProcess, verified: None) -> None:
    v1 = sdk_client(local, "ses")
    missing = client_error(
        v1.send_templated_email,
        Source=f"hello@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [f"ann@{RECIPIENT_DOMAIN}"]},
        Template="Nope",
        TemplateData="{}",
    )
    assert (missing.code, missing.status) == ("TemplateDoesNotExist", 400)
    unverified = client_error(
        v1.send_templated_email,
        Source="hello@unverified.example",
        Destination={"ToAddresses": [f"ann@{RECIPIENT_DOMAIN}"]},
        Template="Welcome",
        TemplateData="{}",
    )
    assert unverified.code == "MessageRejected"
    too_many = client_error(
        v1.send_bulk_templated_email,
        Source=f"hello@{SENDER_DOMAIN}",
        Template="Welcome",
        DefaultTemplateData="{}",
        Destinations=[{"Destination": {"ToAddresses": [f"r{i}@{RECIPIENT_DOMAIN}"]}} for i in range(51)],
    )
    assert too_many.code == "InvalidParameterValue"


# --- custom verification emails ----------------------------------------------------------------------


def _custom_template(name: str, **changes: str) -> dict[str, str]:
    return {
        "TemplateName": name,
        "FromEmailAddress": f"welcome@{PRODUCTION_DOMAIN}",
        "TemplateSubject": "Please confirm your address",
        "TemplateContent": "<html><body><h1>Welcome to Brand</h1><p>Confirm below.</p></body></html>",
        "SuccessRedirectionURL": "https://brand.example/verified",
        "FailureRedirectionURL": "https://brand.example/failed",
        **changes,
    }


def _follow(link: str) -> tuple[int, str | None]:
    parts = urlsplit(link)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def _link_in(received: ReceivedMessage) -> str:
    html = _parts(received)[2]
    match = re.search(r'href="(http://[^"]+/verify-email\?token=[^"]+)"', html)
    assert match, html
    return match.group(1).replace("&amp;", "&")


def test_custom_verification_templates_v1_and_v2(local: LocalProcess, production: dict[str, Any]) -> None:
    v1, v2 = production["ses"], production["sesv2"]
    v1.create_custom_verification_email_template(**_custom_template("Signup"))
    got = v1.get_custom_verification_email_template(TemplateName="Signup")
    assert {k: got[k] for k in _custom_template("Signup")} == _custom_template("Signup")
    v1.update_custom_verification_email_template(TemplateName="Signup", TemplateSubject="Confirm, please")
    assert (
        v2.get_custom_verification_email_template(TemplateName="Signup")["TemplateSubject"]
        == "Confirm, please"
    )
    v2.create_custom_verification_email_template(**_custom_template("Newsletter"))
    listed = v1.list_custom_verification_email_templates(MaxResults=1)
    assert [t["TemplateName"] for t in listed["CustomVerificationEmailTemplates"]] == ["Newsletter"]
    rest = v2.list_custom_verification_email_templates(PageSize=10, NextToken=listed["NextToken"])
    assert [t["TemplateName"] for t in rest["CustomVerificationEmailTemplates"]] == ["Signup"]
    v2.delete_custom_verification_email_template(TemplateName="Newsletter")
    v1.delete_custom_verification_email_template(TemplateName="Newsletter")  # v1: no error when gone

    exists = client_error(v1.create_custom_verification_email_template, **_custom_template("Signup"))
    assert exists.code == "CustomVerificationEmailTemplateAlreadyExists"
    assert (
        client_error(v2.create_custom_verification_email_template, **_custom_template("Signup")).code
        == "AlreadyExistsException"
    )
    assert (
        client_error(v1.get_custom_verification_email_template, TemplateName="Nope").code
        == "CustomVerificationEmailTemplateDoesNotExist"
    )
    assert (
        client_error(v2.get_custom_verification_email_template, TemplateName="Nope").code
        == "NotFoundException"
    )
    assert (
        client_error(v2.delete_custom_verification_email_template, TemplateName="Nope").code
        == "NotFoundException"
    )
    unverified_from = _custom_template("Other", FromEmailAddress="someone@unverified.example")
    assert (
        client_error(v1.create_custom_verification_email_template, **unverified_from).code
        == "FromEmailAddressNotVerified"
    )
    scripted = _custom_template("Other", TemplateContent="<p>hi</p><script>alert(1)</script>")
    assert (
        client_error(v1.create_custom_verification_email_template, **scripted).code
        == "CustomVerificationEmailInvalidContent"
    )
    assert (
        client_error(v2.create_custom_verification_email_template, **scripted).code == "BadRequestException"
    )


def test_at_most_50_custom_verification_templates_per_account(
    local: LocalProcess, production: dict[str, Any]
) -> None:
    v2 = production["sesv2"]
    existing = len(
        v2.list_custom_verification_email_templates(PageSize=50)["CustomVerificationEmailTemplates"]
    )
    for index in range(50 - existing):
        v2.create_custom_verification_email_template(**_custom_template(f"Limit{index:02d}"))
    over = client_error(v2.create_custom_verification_email_template, **_custom_template("OneTooMany"))
    assert over.code == "LimitExceededException"
    assert (
        client_error(
            production["ses"].create_custom_verification_email_template, **_custom_template("OneTooMany")
        ).code
        == "LimitExceeded"
    )
    for index in range(50 - existing):
        v2.delete_custom_verification_email_template(TemplateName=f"Limit{index:02d}")


def test_a_custom_verification_email_verifies_the_address_and_redirects(
    local: LocalProcess, sink: SmtpSink, production: dict[str, Any], events: EventReader
) -> None:
    v1, v2 = production["ses"], production["sesv2"]
    v2.create_custom_verification_email_template(**_custom_template("Verify"))
    address = "newcomer@elsewhere.test"
    message_id = v2.send_custom_verification_email(EmailAddress=address, TemplateName="Verify")["MessageId"]
    (received,) = _received_by(sink, address)
    subject, _, html = _parts(received)
    assert subject == "Please confirm your address" and "<h1>Welcome to Brand</h1>" in html
    assert email.message_from_bytes(received.data)["From"] == f"welcome@{PRODUCTION_DOMAIN}"
    assert events.for_message(message_id, "Send")
    status = v1.get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    assert status[address]["VerificationStatus"] == "Pending"

    assert _follow(_link_in(received)) == (302, "https://brand.example/verified")
    status = v1.get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    assert status[address]["VerificationStatus"] == "Success"

    # An address whose identity was deleted meanwhile goes to the failure URL.
    gone = "leaver@elsewhere.test"
    v1.send_custom_verification_email(EmailAddress=gone, TemplateName="Verify")
    (to_gone,) = _received_by(sink, gone)
    v1.delete_identity(Identity=gone)
    assert _follow(_link_in(to_gone)) == (302, "https://brand.example/failed")


def test_custom_verification_email_errors(
    local: LocalProcess, production: dict[str, Any], verified: None
) -> None:
    v1, v2 = production["ses"], production["sesv2"]
    assert (
        client_error(v1.send_custom_verification_email, EmailAddress="a@b.test", TemplateName="Nope").code
        == "CustomVerificationEmailTemplateDoesNotExist"
    )
    assert (
        client_error(v2.send_custom_verification_email, EmailAddress="a@b.test", TemplateName="Nope").code
        == "NotFoundException"
    )
    sandboxed = sdk_client(local, "ses")  # the bootstrap account is in the sandbox
    sandboxed.create_custom_verification_email_template(
        **_custom_template("Sandboxed", FromEmailAddress=f"hello@{SENDER_DOMAIN}")
    )
    refused = client_error(
        sandboxed.send_custom_verification_email, EmailAddress="a@b.test", TemplateName="Sandboxed"
    )
    assert refused.code == "ProductionAccessNotGranted"


def test_a_large_template_round_trips(local: LocalProcess) -> None:
    v2 = sdk_client(local, "sesv2")
    html = "<p>{{name}}</p>" + base64.b64encode(os.urandom(300_000)).decode()
    v2.create_email_template(TemplateName="Large", TemplateContent={"Subject": "s", "Html": html})
    assert v2.get_email_template(TemplateName="Large")["TemplateContent"]["Html"] == html
    v2.delete_email_template(TemplateName="Large")
