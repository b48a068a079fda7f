"""SigV4 verification against requests signed by botocore itself (never by our own signer)."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable
from typing import Any

import pytest

from sesame.domain import errors
from sesame.protocol.http import HttpRequest
from sesame.protocol.sigv4 import SigV4Verifier
from tests.unit.protocol.protocol_helpers import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    client_request,
    presign,
    sign,
    to_http,
)

MISMATCH = "The request signature we calculated does not match the signature you provided."


def verifier(*, clock: Callable[[], float] = time.time, region: str = REGION) -> SigV4Verifier:
    return SigV4Verifier(
        region=region,
        secret_for=lambda key: SECRET_KEY if key == ACCESS_KEY else None,
        clock=clock,
    )


def signed(api: str, operation: str, params: dict[str, Any], **options: Any) -> HttpRequest:
    """``api`` picks the client (ses or sesv2); ``options`` go to botocore's signer."""
    return to_http(sign(client_request(api, operation, params), **options))


def with_headers(request: HttpRequest, **changes: str) -> HttpRequest:
    return dataclasses.replace(request, headers={**request.headers, **changes})


SIGNED_REQUESTS = {
    "v1 form POST": ("ses", "SendEmail", {
        "Source": "a@example.com",
        "Destination": {"ToAddresses": ["b@example.com", "c d@example.com"]},
        "Message": {"Subject": {"Data": "Hi & bye"}, "Body": {"Text": {"Data": "x=1+2"}}},
    }),
    "v1 raw bytes": ("ses", "SendRawEmail", {"RawMessage": {"Data": b"\x00\xff"}}),
    "v2 GET with @ identity": ("sesv2", "GetEmailIdentity", {"EmailIdentity": "user@example.com"}),
    "v2 GET with odd characters": ("sesv2", "GetEmailTemplate", {"TemplateName": "a b/c+d~e*f"}),
    "v2 POST JSON": ("sesv2", "CreateEmailIdentity", {"EmailIdentity": "example.com"}),
    "v2 PUT": ("sesv2", "PutEmailIdentityDkimAttributes", {"EmailIdentity": "x@y.z", "SigningEnabled": True}),
    "v2 DELETE with list query": ("sesv2", "UntagResource", {
        "ResourceArn": "arn:a:b", "TagKeys": ["k 1", "k/2"],
    }),
    "v2 GET with query": ("sesv2", "ListSuppressedDestinations", {
        "Reasons": ["BOUNCE", "COMPLAINT"], "NextToken": "a+b/c=", "PageSize": 10,
    }),
}  # fmt: skip


@pytest.mark.parametrize("case", SIGNED_REQUESTS, ids=str)
def test_given_a_request_signed_by_botocore_when_verified_then_the_access_key_is_returned(case: str) -> None:
    request = signed(*SIGNED_REQUESTS[case])

    assert verifier().verify(request) == ACCESS_KEY


def test_given_a_request_dated_by_the_date_header_when_verified_then_it_is_accepted() -> None:
    aws_request = client_request("sesv2", "GetAccount", {})
    aws_request.headers["Date"] = "placeholder"  # botocore then signs with Date, not X-Amz-Date

    request = to_http(sign(aws_request))

    assert "x-amz-date" not in request.headers
    assert verifier().verify(request) == ACCESS_KEY


def test_given_a_session_token_when_verified_then_it_is_signed_like_any_header_and_accepted() -> None:
    from botocore.auth import SigV4Auth
    from botocore.credentials import Credentials

    aws_request = client_request("ses", "GetSendQuota", {})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, "session-token"), "ses", REGION).add_auth(aws_request)

    assert verifier().verify(to_http(aws_request)) == ACCESS_KEY


def test_given_a_declared_payload_hash_that_matches_when_verified_then_it_is_accepted() -> None:
    aws_request = client_request("sesv2", "CreateEmailIdentity", {"EmailIdentity": "example.com"})
    aws_request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(aws_request.body).hexdigest()

    assert verifier().verify(to_http(sign(aws_request))) == ACCESS_KEY


def test_given_a_path_with_dot_and_empty_segments_when_verified_then_it_is_normalized_as_botocore_does() -> (
    None
):
    aws_request = client_request("sesv2", "GetAccount", {})
    aws_request.url = aws_request.url.replace("/v2/email/account", "/v2//email/./x/../account")

    assert verifier().verify(to_http(sign(aws_request))) == ACCESS_KEY


# --- presigned ---------------------------------------------------------------------------------


def test_given_a_presigned_v1_request_when_verified_then_the_access_key_is_returned() -> None:
    request = to_http(presign(client_request("ses", "ListIdentities", {"MaxItems": 3})))

    assert "X-Amz-Signature=" in request.query_string
    assert verifier().verify(request) == ACCESS_KEY


def test_given_a_presigned_v2_request_when_verified_then_the_access_key_is_returned() -> None:
    aws_request = client_request("sesv2", "GetEmailIdentity", {"EmailIdentity": "user@example.com"})

    assert verifier().verify(to_http(presign(aws_request))) == ACCESS_KEY


def test_given_a_presigned_request_past_its_expiry_when_verified_then_request_expired() -> None:
    request = to_http(presign(client_request("sesv2", "GetAccount", {}), expires=60))

    with pytest.raises(errors.RequestExpired, match=r"^Request has expired\.$"):
        verifier(clock=lambda: time.time() + 61).verify(request)


def test_given_a_presigned_request_with_a_changed_parameter_when_verified_then_signature_mismatch() -> None:
    request = to_http(presign(client_request("ses", "ListIdentities", {"MaxItems": 3})))
    tampered = dataclasses.replace(
        request, query_string=request.query_string.replace("MaxItems=3", "MaxItems=4")
    )

    with pytest.raises(errors.SignatureDoesNotMatch, match=MISMATCH):
        verifier().verify(tampered)


def test_given_a_presigned_request_missing_its_credential_when_verified_then_incomplete_signature() -> None:
    request = to_http(presign(client_request("sesv2", "GetAccount", {})))
    stripped = "&".join(p for p in request.query_string.split("&") if not p.startswith("X-Amz-Credential="))

    with pytest.raises(errors.IncompleteSignature, match="X-Amz-Credential"):
        verifier().verify(dataclasses.replace(request, query_string=stripped))


# --- rejections --------------------------------------------------------------------------------


def test_given_a_tampered_body_when_verified_then_signature_does_not_match() -> None:
    request = signed(*SIGNED_REQUESTS["v1 form POST"])
    tampered = dataclasses.replace(request, body=request.body.replace(b"b%40example.com", b"x%40evil.com"))

    with pytest.raises(errors.SignatureDoesNotMatch) as raised:
        verifier().verify(tampered)

    assert raised.value.message == (
        MISMATCH + " Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    )


def test_given_a_tampered_body_with_the_old_declared_hash_when_verified_then_rejected() -> None:
    aws_request = client_request("sesv2", "CreateEmailIdentity", {"EmailIdentity": "example.com"})
    aws_request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(aws_request.body).hexdigest()
    request = to_http(sign(aws_request))

    with pytest.raises(errors.SignatureDoesNotMatch):
        verifier().verify(dataclasses.replace(request, body=b'{"EmailIdentity": "evil.com"}'))


def test_given_a_tampered_signed_header_when_verified_then_signature_does_not_match() -> None:
    request = signed(*SIGNED_REQUESTS["v2 POST JSON"])

    with pytest.raises(errors.SignatureDoesNotMatch):
        verifier().verify(with_headers(request, **{"content-type": "text/plain"}))


def test_given_a_tampered_path_when_verified_then_signature_does_not_match() -> None:
    request = signed(*SIGNED_REQUESTS["v2 GET with @ identity"])

    with pytest.raises(errors.SignatureDoesNotMatch):
        verifier().verify(dataclasses.replace(request, path="/v2/email/identities/admin%40example.com"))


def test_given_the_wrong_secret_when_verified_then_signature_does_not_match() -> None:
    request = signed("sesv2", "GetAccount", {}, secret_key="not-the-secret")

    with pytest.raises(errors.SignatureDoesNotMatch):
        verifier().verify(request)


def test_given_an_unknown_access_key_when_verified_then_invalid_client_token_id() -> None:
    request = signed("sesv2", "GetAccount", {}, access_key="AKIDUNKNOWN")

    with pytest.raises(
        errors.InvalidClientTokenId, match=r"The security token included in the request is invalid\."
    ):
        verifier().verify(request)


@pytest.mark.parametrize("skew", [-16 * 60, 16 * 60])
def test_given_a_clock_more_than_15_minutes_apart_when_verified_then_request_expired(skew: int) -> None:
    request = signed("ses", "GetSendQuota", {})

    with pytest.raises(errors.RequestExpired):
        verifier(clock=lambda: time.time() + skew).verify(request)


def test_given_a_clock_14_minutes_apart_when_verified_then_it_is_accepted() -> None:
    request = signed("ses", "GetSendQuota", {})

    assert verifier(clock=lambda: time.time() + 14 * 60).verify(request) == ACCESS_KEY


def test_given_a_signature_for_another_region_when_verified_then_signature_does_not_match() -> None:
    request = signed("ses", "GetSendQuota", {}, region="eu-west-1")

    with pytest.raises(errors.SignatureDoesNotMatch, match="scoped to a valid region, not 'eu-west-1'"):
        verifier().verify(request)


def test_given_a_signature_for_another_service_when_verified_then_signature_does_not_match() -> None:
    request = signed("ses", "GetSendQuota", {}, service="sqs")

    with pytest.raises(errors.SignatureDoesNotMatch, match="correct service: 'ses'"):
        verifier().verify(request)


def test_given_no_signature_at_all_when_verified_then_missing_authentication_token() -> None:
    request = to_http(client_request("ses", "GetSendQuota", {}))

    with pytest.raises(errors.MissingAuthenticationToken, match=r"^Request is missing Authentication Token$"):
        verifier().verify(request)


def test_given_an_authorization_header_without_a_signature_when_verified_then_incomplete_signature() -> None:
    request = signed("ses", "GetSendQuota", {})
    header = request.headers["authorization"].split(", Signature=")[0]

    with pytest.raises(errors.IncompleteSignature, match="requires 'Signature' parameter"):
        verifier().verify(with_headers(request, authorization=header))


def test_given_another_signing_algorithm_when_verified_then_incomplete_signature() -> None:
    request = signed("ses", "GetSendQuota", {})
    header = request.headers["authorization"].replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")

    with pytest.raises(errors.IncompleteSignature, match="Unsupported"):
        verifier().verify(with_headers(request, authorization=header))


def test_given_host_left_out_of_the_signed_headers_when_verified_then_incomplete_signature() -> None:
    request = signed("ses", "GetSendQuota", {})
    header = request.headers["authorization"].replace("SignedHeaders=content-type;host;", "SignedHeaders=")

    with pytest.raises(errors.IncompleteSignature, match="'Host' or ':authority' must be a 'SignedHeader'"):
        verifier().verify(with_headers(request, authorization=header))


def test_given_no_request_date_when_verified_then_incomplete_signature() -> None:
    request = signed("ses", "GetSendQuota", {})
    undated = dataclasses.replace(
        request, headers={k: v for k, v in request.headers.items() if k != "x-amz-date"}
    )

    with pytest.raises(errors.IncompleteSignature, match="'X-Amz-Date' or a 'Date' header"):
        verifier().verify(undated)


def test_given_a_malformed_request_date_when_verified_then_incomplete_signature() -> None:
    request = signed("ses", "GetSendQuota", {})

    with pytest.raises(errors.IncompleteSignature, match="ISO-8601 'basic format'"):
        verifier().verify(with_headers(request, **{"x-amz-date": "2024-01-01T00:00:00Z"}))


def test_given_a_signature_with_non_ascii_characters_when_verified_then_it_simply_does_not_match() -> None:
    request = signed("ses", "GetSendQuota", {})
    header = request.headers["authorization"].split("Signature=")[0] + "Signature=ünïcode"

    with pytest.raises(errors.SignatureDoesNotMatch):
        verifier().verify(with_headers(request, authorization=header))
