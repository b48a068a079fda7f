"""SES v2 REST-JSON protocol: routes, locations and bodies as botocore sends and reads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from sesame.domain import errors
from sesame.protocol.http import HttpRequest
from sesame.protocol.models import OutputShapeError
from sesame.protocol.restjson import RestJsonProtocol
from tests.unit.protocol.protocol_helpers import (
    client_model,
    http_request,
    parse_response,
    sample,
    without_metadata,
)

PROTOCOL = RestJsonProtocol()
V2_OPERATIONS = sorted(client_model("sesv2").operation_names)


def raw_request(method: str, path: str, body: object = None, query: str = "") -> HttpRequest:
    """A hand-made request, for inputs botocore's client would refuse to send."""
    payload = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return HttpRequest(method, path, query, {"content-type": "application/json"}, payload)


# --- routing and parsing -------------------------------------------------------------------------


@pytest.mark.parametrize("operation", V2_OPERATIONS)
def test_given_any_operation_with_every_member_set_when_parsed_then_route_and_params_match_the_sdk(
    operation: str,
) -> None:
    shape = client_model("sesv2").operation_model(operation).input_shape
    params = sample(shape) if shape is not None else {}
    request = http_request("sesv2", operation, params)

    assert PROTOCOL.operation_name(request) == operation
    call = PROTOCOL.parse(request)
    assert (call.version, call.operation, call.params) == (2, operation, params)


def test_given_an_identity_with_an_at_sign_when_parsed_then_the_label_is_percent_decoded() -> None:
    request = http_request("sesv2", "GetEmailIdentity", {"EmailIdentity": "user@example.com"})

    assert request.path == "/v2/email/identities/user%40example.com"
    assert PROTOCOL.parse(request).params == {"EmailIdentity": "user@example.com"}


def test_given_create_email_identity_with_dkim_and_tags_when_parsed_then_the_body_is_rebuilt() -> None:
    params = {
        "EmailIdentity": "example.com",
        "DkimSigningAttributes": {"DomainSigningSelector": "sel1", "DomainSigningPrivateKey": "QUJDRA=="},
        "Tags": [{"Key": "team", "Value": "mail"}, {"Key": "env", "Value": ""}],
        "ConfigurationSetName": "default",
    }

    assert PROTOCOL.parse(http_request("sesv2", "CreateEmailIdentity", params)).params == params


def test_given_put_dkim_signing_attributes_when_parsed_then_uri_and_body_members_merge() -> None:
    params = {
        "EmailIdentity": "example.com",
        "SigningAttributesOrigin": "EXTERNAL",
        "SigningAttributes": {"DomainSigningSelector": "s1", "DomainSigningPrivateKey": "QUJD"},
    }
    request = http_request("sesv2", "PutEmailIdentityDkimSigningAttributes", params)

    assert (request.method, request.path) == ("PUT", "/v2/email/identities/example.com/dkim/signing")
    assert PROTOCOL.parse(request).params == params


def test_given_query_string_members_when_parsed_then_lists_numbers_and_timestamps_are_typed() -> None:
    params = {
        "Reasons": ["BOUNCE", "COMPLAINT"],
        "StartDate": datetime(2024, 1, 1, tzinfo=UTC),
        "EndDate": datetime(2024, 2, 1, 12, 30, 15, 500000, tzinfo=UTC),
        "NextToken": "abc+/=",
        "PageSize": 20,
    }
    request = http_request("sesv2", "ListSuppressedDestinations", params)

    assert request.method == "GET"
    assert "Reason=BOUNCE&Reason=COMPLAINT" in request.query_string  # locationName "Reason"
    assert PROTOCOL.parse(request).params == params


def test_given_list_email_identities_with_paging_when_parsed_then_page_size_and_token_come_back() -> None:
    params = {"PageSize": 5, "NextToken": "tok"}

    assert PROTOCOL.parse(http_request("sesv2", "ListEmailIdentities", params)).params == params


def test_given_an_older_sdks_get_list_email_identities_when_parsed_then_paging_comes_from_the_query() -> None:
    request = raw_request("GET", "/v2/email/identities", query="PageSize=5&NextToken=a%2Bb")

    call = PROTOCOL.parse(request)

    assert (call.operation, call.params) == ("ListEmailIdentities", {"PageSize": 5, "NextToken": "a+b"})


def test_given_send_email_with_raw_content_when_parsed_then_the_data_is_the_original_bytes() -> None:
    raw = b"Subject: hi\r\n\r\n\x00\xffbody"
    params = {"Content": {"Raw": {"Data": raw}}, "FromEmailAddress": "a@example.com"}

    assert PROTOCOL.parse(http_request("sesv2", "SendEmail", params)).params == params


def test_given_a_delete_with_repeated_query_keys_when_parsed_then_the_list_is_kept_in_order() -> None:
    params = {"ResourceArn": "arn:aws:ses:us-east-1:1:identity/x", "TagKeys": ["b", "a", "b"]}
    request = http_request("sesv2", "UntagResource", params)

    assert request.method == "DELETE"
    assert PROTOCOL.parse(request).params == params


def test_given_a_path_no_operation_has_when_named_then_unknown_operation() -> None:
    with pytest.raises(errors.InvalidAction) as raised:
        PROTOCOL.operation_name(raw_request("GET", "/v2/email/nowhere"))

    assert raised.value.wire_code(2) == "UnknownOperationException"


def test_given_a_known_path_with_the_wrong_method_when_named_then_unknown_operation() -> None:
    with pytest.raises(errors.InvalidAction):
        PROTOCOL.operation_name(raw_request("PATCH", "/v2/email/identities/example.com"))


def test_given_a_trailing_slash_either_way_when_named_then_the_route_still_matches() -> None:
    assert PROTOCOL.operation_name(raw_request("GET", "/v2/email/account/")) == "GetAccount"
    assert PROTOCOL.operation_name(raw_request("GET", "/v2/email/insights/abc")) == "GetMessageInsights"


def test_given_more_literal_routes_when_named_then_the_most_specific_wins() -> None:
    assert PROTOCOL.operation_name(raw_request("POST", "/v2/email/templates/t/render")) == (
        "TestRenderEmailTemplate"
    )
    assert PROTOCOL.operation_name(raw_request("POST", "/v2/email/contact-lists/l/contacts/list")) == (
        "ListContacts"
    )


def test_given_an_encoded_slash_in_a_label_when_parsed_then_it_stays_inside_the_label() -> None:
    call = PROTOCOL.parse(raw_request("GET", "/v2/email/templates/a%2Fb"))

    assert (call.operation, call.params) == ("GetEmailTemplate", {"TemplateName": "a/b"})


def test_given_a_body_that_is_not_json_when_parsed_then_serialization_exception() -> None:
    with pytest.raises(errors.MalformedRequest) as raised:
        PROTOCOL.parse(raw_request("POST", "/v2/email/identities", b"{not json"))

    assert raised.value.wire_code(2) == "SerializationException"


def test_given_a_json_body_that_is_not_an_object_when_parsed_then_serialization_exception() -> None:
    with pytest.raises(errors.MalformedRequest):
        PROTOCOL.parse(raw_request("POST", "/v2/email/identities", ["example.com"]))


def test_given_json_members_the_model_does_not_name_when_parsed_then_they_are_ignored() -> None:
    call = PROTOCOL.parse(raw_request("POST", "/v2/email/identities", {"EmailIdentity": "x.com", "Extra": 1}))

    assert call.params == {"EmailIdentity": "x.com"}


def test_given_timestamps_as_iso_text_in_json_when_parsed_then_they_are_aware_datetimes() -> None:
    body = {"EmailAddress": "a@example.com", "Reason": "BOUNCE"}
    assert PROTOCOL.parse(raw_request("PUT", "/v2/email/suppression/addresses", body)).params == body
    query = "StartDate=2024-01-01T00:00:00Z&EndDate=1706745600"

    call = PROTOCOL.parse(raw_request("GET", "/v2/email/suppression/addresses", query=query))

    assert call.params == {
        "StartDate": datetime(2024, 1, 1, tzinfo=UTC),
        "EndDate": datetime(2024, 2, 1, tzinfo=UTC),
    }


# --- validation ----------------------------------------------------------------------------------


def test_given_a_missing_required_body_member_when_parsed_then_bad_request_in_aws_words() -> None:
    with pytest.raises(errors.ValidationError) as raised:
        PROTOCOL.parse(raw_request("POST", "/v2/email/identities", {}))

    assert raised.value.message == (
        "1 validation error detected: "
        "Value null at 'emailIdentity' failed to satisfy constraint: Member must not be null"
    )
    assert raised.value.wire_code(2) == "BadRequestException"


def test_given_a_value_outside_the_enum_when_parsed_then_bad_request_lists_the_allowed_values() -> None:
    request = raw_request(
        "PUT", "/v2/email/identities/example.com/dkim/signing", {"SigningAttributesOrigin": "NOPE"}
    )

    with pytest.raises(errors.ValidationError, match=r"Value 'NOPE' at 'signingAttributesOrigin'.*AWS_SES"):
        PROTOCOL.parse(request)


def test_given_a_string_too_long_and_off_pattern_when_parsed_then_both_violations_are_reported() -> None:
    body = {"SigningAttributesOrigin": "EXTERNAL", "SigningAttributes": {"DomainSigningSelector": "-" * 64}}
    request = raw_request("PUT", "/v2/email/identities/example.com/dkim/signing", body)

    with pytest.raises(errors.ValidationError) as raised:
        PROTOCOL.parse(request)

    message = raised.value.message
    assert message.startswith("2 validation errors detected: ")
    assert "at 'signingAttributes.domainSigningSelector'" in message
    assert "Member must have length less than or equal to 63" in message
    assert "Member must satisfy regular expression pattern" in message


def test_given_a_sensitive_value_that_fails_when_parsed_then_the_message_does_not_echo_it() -> None:
    body = {
        "SigningAttributesOrigin": "EXTERNAL",
        "SigningAttributes": {"DomainSigningSelector": "s", "DomainSigningPrivateKey": "not base64!"},
    }
    request = raw_request("PUT", "/v2/email/identities/example.com/dkim/signing", body)

    with pytest.raises(errors.ValidationError) as raised:
        PROTOCOL.parse(request)

    assert "not base64" not in raised.value.message
    assert "Value at 'signingAttributes.domainSigningPrivateKey'" in raised.value.message


def test_given_a_string_where_an_integer_belongs_when_parsed_then_bad_request_names_the_member() -> None:
    with pytest.raises(errors.ValidationError, match=r"Value 'ten' at 'pageSize'.*valid integer"):
        PROTOCOL.parse(raw_request("POST", "/v2/email/list-identities", {"PageSize": "ten"}))


def test_given_a_non_numeric_query_value_when_parsed_then_bad_request() -> None:
    with pytest.raises(errors.ValidationError, match="'pageSize'"):
        PROTOCOL.parse(raw_request("GET", "/v2/email/contact-lists", query="PageSize=many"))


def test_given_a_boolean_where_a_number_belongs_when_parsed_then_bad_request() -> None:
    with pytest.raises(errors.ValidationError, match="'pageSize'"):
        PROTOCOL.parse(raw_request("POST", "/v2/email/list-identities", {"PageSize": True}))


# --- serialize -----------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", V2_OPERATIONS)
def test_given_any_operation_output_with_every_member_set_when_serialized_then_botocore_reads_it_back(
    operation: str,
) -> None:
    shape = client_model("sesv2").operation_model(operation).output_shape
    output = sample(shape) if shape is not None else {}

    response = PROTOCOL.serialize(operation, output, "req-2")

    parsed = parse_response("sesv2", operation, response)
    assert without_metadata(parsed) == output
    assert parsed["ResponseMetadata"]["RequestId"] == "req-2"
    assert response.headers["Content-Type"] == "application/json"


def test_given_timestamps_when_serialized_then_they_are_epoch_seconds_numbers() -> None:
    output = {
        "SuppressedDestination": {
            "EmailAddress": "a@example.com",
            "Reason": "BOUNCE",
            "LastUpdateTime": datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC),
        }
    }

    response = PROTOCOL.serialize("GetSuppressedDestination", output, "r")

    assert json.loads(response.body)["SuppressedDestination"]["LastUpdateTime"] == 1704067201
    assert without_metadata(parse_response("sesv2", "GetSuppressedDestination", response)) == output


def test_given_an_empty_output_when_serialized_then_the_body_is_an_empty_object() -> None:
    response = PROTOCOL.serialize("DeleteEmailIdentity", {}, "r")

    assert (response.status, response.body) == (200, b"{}")


def test_given_an_output_key_the_model_lacks_when_serialized_then_it_is_a_programming_error() -> None:
    with pytest.raises(OutputShapeError, match="Bogus"):
        PROTOCOL.serialize("GetEmailIdentity", {"Bogus": True}, "r")


def test_given_a_nested_value_of_the_wrong_type_when_serialized_then_the_error_names_its_path() -> None:
    with pytest.raises(OutputShapeError, match=r"DkimAttributes\.SigningEnabled"):
        PROTOCOL.serialize("GetEmailIdentity", {"DkimAttributes": {"SigningEnabled": "yes"}}, "r")


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (errors.NotFound("Identity x does not exist."), "NotFoundException", 404),
        (errors.AlreadyExists("exists"), "AlreadyExistsException", 400),
        (errors.TooManyRequests("slow down"), "TooManyRequestsException", 429),
        (errors.Throttling("Maximum sending rate exceeded."), "TooManyRequestsException", 429),
        (errors.ValidationError("1 validation error detected"), "BadRequestException", 400),
        (errors.InvalidAction("Unrecognized operation"), "UnknownOperationException", 404),
        (errors.MalformedRequest("bad json"), "SerializationException", 400),
        (errors.SignatureDoesNotMatch("nope"), "InvalidSignatureException", 403),
        (errors.InternalFailure("boom"), "InternalServiceErrorException", 500),
    ],
)
def test_given_an_error_when_serialized_then_botocore_reads_its_code_status_and_message(
    error: errors.SesError, code: str, status: int
) -> None:
    response = PROTOCOL.serialize_error(error, "req-err")

    parsed = parse_response("sesv2", "GetEmailIdentity", response)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == error.message
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status
    assert parsed["ResponseMetadata"]["RequestId"] == "req-err"


def test_given_json_nested_deeper_than_the_stack_when_parsed_then_serialization_exception() -> None:
    body = b"[" * 100_000 + b"]" * 100_000

    with pytest.raises(errors.MalformedRequest):
        PROTOCOL.parse(raw_request("POST", "/v2/email/identities", body))
