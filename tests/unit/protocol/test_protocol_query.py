"""SES v1 Query protocol: requests as botocore sends them, responses as botocore reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from sesame.domain import errors
from sesame.protocol.http import HttpRequest
from sesame.protocol.models import OutputShapeError
from sesame.protocol.query import QueryProtocol
from tests.unit.protocol.protocol_helpers import (
    client_model,
    http_request,
    parse_response,
    sample,
    without_metadata,
)

PROTOCOL = QueryProtocol()
SES_OPERATIONS = sorted(client_model("ses").operation_names)


def form_request(fields: dict[str, str], *, method: str = "POST") -> HttpRequest:
    """A hand-made Query request, for inputs botocore's client would refuse to send."""
    body = urlencode(fields).encode()
    if method == "GET":
        return HttpRequest("GET", "/", urlencode(fields), {"host": "email.example.com"}, b"")
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    return HttpRequest("POST", "/", "", headers, body)


# --- parse ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", SES_OPERATIONS)
def test_given_any_operation_with_every_member_set_when_parsed_then_params_equal_what_the_sdk_sent(
    operation: str,
) -> None:
    shape = client_model("ses").operation_model(operation).input_shape
    params = sample(shape) if shape is not None else {}

    call = PROTOCOL.parse(http_request("ses", operation, params))

    assert (call.version, call.operation, call.params) == (1, operation, params)


def test_given_send_email_with_destination_lists_and_tags_when_parsed_then_the_nesting_is_rebuilt() -> None:
    params = {
        "Source": "Sender <sender@example.com>",
        "Destination": {
            "ToAddresses": ["a@example.com", "b@example.com"],
            "CcAddresses": [],
            "BccAddresses": ["c+tag@example.com"],
        },
        "Message": {
            "Subject": {"Data": "Hello & welcome", "Charset": "UTF-8"},
            "Body": {"Text": {"Data": "Line 1\nLine 2 é"}, "Html": {"Data": "<p>Hi</p>"}},
        },
        "Tags": [{"Name": "campaign", "Value": "spring"}, {"Name": "tier", "Value": "gold"}],
        "ReplyToAddresses": ["reply@example.com"],
    }

    call = PROTOCOL.parse(http_request("ses", "SendEmail", params))

    assert call.params == params


def test_given_set_identity_notification_topic_when_parsed_then_enum_and_arn_are_kept() -> None:
    params = {
        "Identity": "example.com",
        "NotificationType": "Bounce",
        "SnsTopic": "arn:aws:sns:us-east-1:123456789012:bounces",
    }

    assert PROTOCOL.parse(http_request("ses", "SetIdentityNotificationTopic", params)).params == params


def test_given_list_identities_with_max_items_when_parsed_then_max_items_is_an_integer() -> None:
    call = PROTOCOL.parse(http_request("ses", "ListIdentities", {"IdentityType": "Domain", "MaxItems": 7}))

    assert call.params == {"IdentityType": "Domain", "MaxItems": 7}


def test_given_send_raw_email_when_parsed_then_the_message_data_is_the_original_bytes() -> None:
    raw = b"From: a@example.com\r\nTo: b@example.com\r\n\r\n\x00\xff binary"

    call = PROTOCOL.parse(http_request("ses", "SendRawEmail", {"RawMessage": {"Data": raw}}))

    assert call.params == {"RawMessage": {"Data": raw}}


def test_given_a_boolean_member_when_parsed_then_it_is_a_python_bool() -> None:
    params = {"Identity": "example.com", "DkimEnabled": False}

    assert PROTOCOL.parse(http_request("ses", "SetIdentityDkimEnabled", params)).params == params


def test_given_a_get_request_with_the_query_string_when_parsed_then_it_reads_like_a_form_post() -> None:
    request = form_request(
        {"Action": "ListIdentities", "Version": "2010-12-01", "MaxItems": "3"}, method="GET"
    )

    assert PROTOCOL.parse(request).params == {"MaxItems": 3}


def test_given_parameters_the_model_does_not_name_when_parsed_then_they_are_ignored() -> None:
    request = form_request({"Action": "ListIdentities", "Bogus": "1", "MaxItems.member.1": "x"})

    assert PROTOCOL.parse(request).params == {}


def test_given_list_elements_numbered_out_of_order_when_parsed_then_they_come_back_in_numeric_order() -> None:
    request = form_request(
        {
            "Action": "GetIdentityVerificationAttributes",
            "Identities.member.10": "ten",
            "Identities.member.2": "two",
            "Identities.member.1": "one",
        }
    )

    assert PROTOCOL.parse(request).params == {"Identities": ["one", "two", "ten"]}


def test_given_an_unknown_action_when_named_then_invalid_action_names_it() -> None:
    with pytest.raises(errors.InvalidAction, match="The action Frobnicate is not valid"):
        PROTOCOL.operation_name(form_request({"Action": "Frobnicate"}))


def test_given_no_action_when_named_then_invalid_action() -> None:
    with pytest.raises(errors.InvalidAction):
        PROTOCOL.operation_name(form_request({"Version": "2010-12-01"}))


def test_given_another_api_version_when_named_then_invalid_action() -> None:
    with pytest.raises(errors.InvalidAction, match="for version 2009-01-01"):
        PROTOCOL.operation_name(form_request({"Action": "ListIdentities", "Version": "2009-01-01"}))


def test_given_no_version_when_named_then_the_action_is_accepted() -> None:
    assert PROTOCOL.operation_name(form_request({"Action": "GetSendQuota"})) == "GetSendQuota"


def test_given_a_body_that_is_not_utf8_when_parsed_then_malformed_request() -> None:
    request = HttpRequest("POST", "/", "", {}, b"Action=ListIdentities&IdentityType=%FF")

    with pytest.raises(errors.MalformedRequest):
        PROTOCOL.parse(request)


# --- validation ----------------------------------------------------------------------------------


def test_given_a_missing_required_member_when_parsed_then_validation_error_in_aws_words() -> None:
    request = form_request(
        {"Action": "SendEmail", "Message.Subject.Data": "s", "Message.Body.Text.Data": "b"}
    )

    with pytest.raises(errors.ValidationError) as raised:
        PROTOCOL.parse(request)

    assert raised.value.message == (
        "2 validation errors detected: "
        "Value null at 'source' failed to satisfy constraint: Member must not be null; "
        "Value null at 'destination' failed to satisfy constraint: Member must not be null"
    )
    assert raised.value.wire_code(1) == "ValidationError"


def test_given_a_value_outside_the_enum_when_parsed_then_the_allowed_values_are_listed() -> None:
    request = form_request(
        {"Action": "SetIdentityNotificationTopic", "Identity": "example.com", "NotificationType": "Spam"}
    )

    expected = r"Value 'Spam' at 'notificationType'.*\[Bounce, Complaint"
    with pytest.raises(errors.ValidationError, match=expected):
        PROTOCOL.parse(request)


def test_given_a_string_longer_than_the_model_allows_when_parsed_then_validation_error() -> None:
    request = form_request(
        {"Action": "PutIdentityPolicy", "Identity": "example.com", "PolicyName": "p" * 65, "Policy": "{}"}
    )

    with pytest.raises(errors.ValidationError, match=r"'policyName' .* length less than or equal to 64"):
        PROTOCOL.parse(request)


def test_given_a_number_outside_its_range_when_parsed_then_validation_error() -> None:
    request = form_request({"Action": "ListCustomVerificationEmailTemplates", "MaxResults": "0"})

    with pytest.raises(errors.ValidationError, match="value greater than or equal to 1"):
        PROTOCOL.parse(request)


def test_given_text_where_an_integer_belongs_when_parsed_then_validation_error_names_the_member() -> None:
    request = form_request({"Action": "ListIdentities", "MaxItems": "lots"})

    with pytest.raises(errors.ValidationError, match=r"Value 'lots' at 'maxItems'.*valid integer"):
        PROTOCOL.parse(request)


def test_given_a_bad_element_deep_in_a_list_when_parsed_then_the_path_names_its_position() -> None:
    request = form_request(
        {
            "Action": "SendEmail",
            "Source": "a@example.com",
            "Destination.ToAddresses.member.1": "b@example.com",
            "Message.Subject.Data": "s",
            "Message.Body.Text.Data": "b",
            "Tags.member.1.Name": "ok",
            "Tags.member.1.Value": "ok",
            "Tags.member.2.Name": "missing-value",
        }
    )

    with pytest.raises(errors.ValidationError, match=r"Value null at 'tags\.2\.member\.value'"):
        PROTOCOL.parse(request)


# --- serialize -----------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", SES_OPERATIONS)
def test_given_any_operation_output_with_every_member_set_when_serialized_then_botocore_reads_it_back(
    operation: str,
) -> None:
    shape = client_model("ses").operation_model(operation).output_shape
    output = sample(shape) if shape is not None else {}

    response = PROTOCOL.serialize(operation, output, "req-1")

    parsed = parse_response("ses", operation, response)
    assert without_metadata(parsed) == output
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/xml"


def test_given_send_statistics_when_serialized_then_timestamps_are_iso8601_utc_with_milliseconds() -> None:
    berlin = timezone(timedelta(hours=1))
    output = {
        "SendDataPoints": [
            {"Timestamp": datetime(2024, 3, 1, 13, 0, 0, 250000, tzinfo=berlin), "DeliveryAttempts": 5},
            {"Timestamp": datetime(2024, 3, 1, 12, 15, tzinfo=UTC), "Bounces": 0, "Rejects": 1},
        ]
    }

    response = PROTOCOL.serialize("GetSendStatistics", output, "r")

    assert b"<Timestamp>2024-03-01T12:00:00.250Z</Timestamp>" in response.body
    assert without_metadata(parse_response("ses", "GetSendStatistics", response)) == output


def test_given_quota_doubles_when_serialized_then_botocore_reads_floats() -> None:
    output = {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 0.0}

    parsed = parse_response("ses", "GetSendQuota", PROTOCOL.serialize("GetSendQuota", output, "r"))

    assert without_metadata(parsed) == output


def test_given_a_map_output_when_serialized_then_entries_read_back_as_a_dict() -> None:
    output = {
        "VerificationAttributes": {
            "example.com": {"VerificationStatus": "Success", "VerificationToken": "tok"},
            "a@example.com": {"VerificationStatus": "Pending"},
        }
    }

    response = PROTOCOL.serialize("GetIdentityVerificationAttributes", output, "r")

    assert b"<entry><key>example.com</key><value>" in response.body
    assert without_metadata(parse_response("ses", "GetIdentityVerificationAttributes", response)) == output


def test_given_an_empty_output_when_serialized_then_the_result_element_is_still_written() -> None:
    response = PROTOCOL.serialize("DeleteIdentity", {}, "r")

    assert b"<DeleteIdentityResult></DeleteIdentityResult>" in response.body
    assert without_metadata(parse_response("ses", "DeleteIdentity", response)) == {}


def test_given_text_with_markup_and_carriage_returns_when_serialized_then_it_round_trips_exactly() -> None:
    text = "<b>Tom & Jerry</b>\r\nSecond line ünïcode ✉"
    output = {"Template": {"TemplateName": "t", "HtmlPart": text, "TextPart": text}}

    parsed = parse_response("ses", "GetTemplate", PROTOCOL.serialize("GetTemplate", output, "r"))

    assert without_metadata(parsed) == output


def test_given_an_output_key_the_model_lacks_when_serialized_then_it_is_a_programming_error() -> None:
    with pytest.raises(OutputShapeError, match="NotAMember"):
        PROTOCOL.serialize("GetSendQuota", {"NotAMember": 1}, "r")


def test_given_a_value_of_the_wrong_type_when_serialized_then_it_is_a_programming_error() -> None:
    with pytest.raises(OutputShapeError, match="Identities"):
        PROTOCOL.serialize("ListIdentities", {"Identities": "a@example.com"}, "r")


def test_given_a_naive_datetime_when_serialized_then_it_is_a_programming_error() -> None:
    output = {"SendDataPoints": [{"Timestamp": datetime(2024, 1, 1)}]}

    with pytest.raises(TypeError, match="naive"):
        PROTOCOL.serialize("GetSendStatistics", output, "r")


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code", "status", "kind"),
    [
        (errors.AlreadyExists("Identity <x> already exists."), "AlreadyExists", 400, "Sender"),
        (errors.MessageRejected("Email address is not verified."), "MessageRejected", 400, "Sender"),
        (errors.ValidationError("1 validation error detected"), "ValidationError", 400, "Sender"),
        (errors.TooManyRequests("Rate exceeded"), "Throttling", 429, "Sender"),
        (errors.SignatureDoesNotMatch("nope"), "SignatureDoesNotMatch", 403, "Sender"),
        (errors.InternalFailure("boom"), "InternalFailure", 500, "Receiver"),
    ],
)
def test_given_an_error_when_serialized_then_botocore_reads_its_code_status_and_message(
    error: errors.SesError, code: str, status: int, kind: str
) -> None:
    response = PROTOCOL.serialize_error(error, "req-err")

    parsed = parse_response("ses", "SendEmail", response)
    assert parsed["Error"] == {"Type": kind, "Code": code, "Message": error.message}
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status
    assert parsed["ResponseMetadata"]["RequestId"] == "req-err"
