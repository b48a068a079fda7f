"""SigV4 as AWS answers it, for both API versions, through real botocore signing.

v1 (Query) uses the Query API's codes; v2 (REST-JSON) the codes REST-JSON services answer with.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from tests.support.compat_clients import client_error, sdk_client
from tests.support.local_process import LocalProcess

SERVICE = {1: "ses", 2: "sesv2"}
# A read that every account may make, per version.
READ: dict[int, Callable[[Any], Any]] = {
    1: lambda client: client.list_identities(),
    2: lambda client: client.list_email_identities(),
}
WRONG_SECRET = {1: ("SignatureDoesNotMatch", 403), 2: ("InvalidSignatureException", 403)}
UNKNOWN_KEY = {1: ("InvalidClientTokenId", 403), 2: ("UnrecognizedClientException", 403)}
UNSIGNED_REQUEST = {1: ("MissingAuthenticationToken", 403), 2: ("MissingAuthenticationTokenException", 403)}
EXPIRED = {1: ("RequestExpired", 400), 2: ("InvalidSignatureException", 403)}

versions = pytest.mark.parametrize("version", [1, 2], ids=["v1", "v2"])


@contextmanager
def signing_clock(shift: timedelta) -> Iterator[None]:
    """botocore signs as if its clock were off by ``shift`` (the request itself goes out now)."""
    real = botocore.auth.get_current_datetime

    def shifted(remove_tzinfo: bool = True) -> datetime:
        now: datetime = real(remove_tzinfo)
        return now + shift

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.auth, "get_current_datetime", shifted)
        yield


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _error_code(version: int, headers: dict[str, str], body: bytes) -> str:
    if version == 2:
        return headers["x-amzn-ErrorType"]
    code = ET.fromstring(body).find(".//{*}Error/{*}Code")
    assert code is not None and code.text
    return code.text


def _presigned(local: LocalProcess, version: int, expires: int = 300) -> str:
    client = sdk_client(local, SERVICE[version])
    if version == 1:
        return str(
            client.generate_presigned_url(
                "get_identity_verification_attributes",
                Params={"Identities": ["presigned.example"]},
                HttpMethod="GET",
                ExpiresIn=expires,
            )
        )
    return str(
        client.generate_presigned_url(
            "get_email_identity", Params={"EmailIdentity": "presigned.example"}, ExpiresIn=expires
        )
    )


@pytest.fixture(scope="module", autouse=True)
def presigned_identity(local: LocalProcess) -> None:
    sdk_client(local, "ses").verify_domain_identity(Domain="presigned.example")


@versions
def test_the_right_key_is_accepted(local: LocalProcess, version: int) -> None:
    answer = READ[version](sdk_client(local, SERVICE[version]))
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


@versions
def test_a_wrong_secret_does_not_match_the_signature(local: LocalProcess, version: int) -> None:
    client = sdk_client(local, SERVICE[version], secret=local.secret_access_key + "x")
    error = client_error(READ[version], client=client)
    assert (error.code, error.status) == WRONG_SECRET[version]
    assert error.message.startswith("The request signature we calculated does not match")


@versions
def test_an_unknown_access_key_is_an_invalid_token(local: LocalProcess, version: int) -> None:
    client = sdk_client(local, SERVICE[version], key_id="AKIAUNKNOWNKEY000000")
    error = client_error(READ[version], client=client)
    assert (error.code, error.status) == UNKNOWN_KEY[version]
    assert error.message == "The security token included in the request is invalid."


@versions
def test_an_unsigned_request_is_missing_its_token(local: LocalProcess, version: int) -> None:
    client = sdk_client(local, SERVICE[version], config=Config(signature_version=UNSIGNED))
    error = client_error(READ[version], client=client)
    assert (error.code, error.status) == UNSIGNED_REQUEST[version]


@versions
def test_a_request_signed_twenty_minutes_ago_has_expired(local: LocalProcess, version: int) -> None:
    client = sdk_client(local, SERVICE[version])
    with signing_clock(timedelta(minutes=-20)):
        error = client_error(READ[version], client=client)
    assert (error.code, error.status) == EXPIRED[version]
    # Ten minutes off is within the fifteen minutes of skew AWS allows, either way.
    for shift in (timedelta(minutes=-10), timedelta(minutes=10)):
        with signing_clock(shift):
            assert READ[version](client)["ResponseMetadata"]["HTTPStatusCode"] == 200


@versions
def test_a_request_signed_twenty_minutes_ahead_is_not_yet_valid(local: LocalProcess, version: int) -> None:
    client = sdk_client(local, SERVICE[version])
    with signing_clock(timedelta(minutes=20)):
        error = client_error(READ[version], client=client)
    assert (error.code, error.status) == EXPIRED[version]


@versions
def test_a_signature_scoped_to_another_region_does_not_match(local: LocalProcess, version: int) -> None:
    client = sdk_client(local, SERVICE[version], region="eu-west-1")
    error = client_error(READ[version], client=client)
    assert (error.code, error.status) == WRONG_SECRET[version]
    assert "eu-west-1" in error.message


@versions
def test_a_presigned_get_url_works_without_any_credentials(local: LocalProcess, version: int) -> None:
    status, _, body = _get(_presigned(local, version))
    assert status == 200
    if version == 1:
        status_element = ET.fromstring(body).find(".//{*}VerificationStatus")
        assert status_element is not None and status_element.text == "Pending"
    else:
        answer = json.loads(body)
        assert (answer["IdentityType"], answer["VerificationStatus"]) == ("DOMAIN", "PENDING")


@versions
def test_a_presigned_url_with_a_changed_parameter_does_not_match(local: LocalProcess, version: int) -> None:
    parts = urlsplit(_presigned(local, version))
    if version == 1:
        query = [(k, "other.example" if v == "presigned.example" else v) for k, v in parse_qsl(parts.query)]
        tampered = urlunsplit(parts._replace(query=urlencode(query)))
    else:
        tampered = urlunsplit(parts._replace(path=parts.path.replace("presigned.example", "other.example")))
    status, headers, body = _get(tampered)
    assert (_error_code(version, headers, body), status) == WRONG_SECRET[version]


@versions
def test_a_presigned_url_past_its_expiry_has_expired(local: LocalProcess, version: int) -> None:
    # Signed two minutes ago for sixty seconds: within the clock skew AWS allows, yet expired.
    with signing_clock(timedelta(minutes=-2)):
        url = _presigned(local, version, expires=60)
    status, headers, body = _get(url)
    assert (_error_code(version, headers, body), status) == EXPIRED[version]


def test_the_signing_clock_is_only_shifted_inside_the_block() -> None:
    before = botocore.auth.get_current_datetime()
    with signing_clock(timedelta(minutes=-20)):
        shifted = botocore.auth.get_current_datetime()
    after = botocore.auth.get_current_datetime()
    now = datetime.now(UTC).replace(tzinfo=None)
    assert abs(before - now) < timedelta(minutes=1) and abs(after - now) < timedelta(minutes=1)
    assert timedelta(minutes=19) < now - shifted < timedelta(minutes=21)
