"""Client-side tools for the protocol tests: botocore's own serializers, signers and parsers.

Requests are made exactly as the SDK makes them (``serialize_to_request`` -> ``AWSRequest`` ->
``prepare()``), turned into the ``HttpRequest`` a front end would hand over; responses are read
back with botocore's response parsers. Nothing here re-implements the wire format.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from sesame.protocol.http import HttpRequest, HttpResponse

REGION = "us-east-1"
ENDPOINT = f"https://email.{REGION}.amazonaws.com"
ACCESS_KEY = "AKIDSESAMEEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SAMPLE_TIME = datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)


@functools.cache
def client_model(service: str) -> Any:
    """botocore's own model, from a real session: the client's view, independent of sesame's."""
    return botocore.session.get_session().get_service_model(service)


def client_request(service: str, operation: str, params: dict[str, Any]) -> AWSRequest:
    """The unsigned request botocore's client would build for ``operation(**params)``."""
    model = client_model(service).operation_model(operation)
    serializer = create_serializer(model.metadata["protocol"], include_validation=True)
    request_dict = serializer.serialize_to_request(params, model)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    return create_request_object(request_dict)


def to_http(request: AWSRequest) -> HttpRequest:
    """What the wire carries for ``request``: raw path and query, lower-case headers, a Host."""
    return prepared_to_http(request.prepare())


def prepared_to_http(prepared: Any) -> HttpRequest:
    """The ``HttpRequest`` a front end would make of botocore's prepared request."""
    url = urlsplit(prepared.url)
    # The real client keeps some header values as bytes; on the wire they are just text.
    headers = {
        name.lower(): value.decode("utf-8") if isinstance(value, bytes) else str(value)
        for name, value in prepared.headers.items()
    }
    headers.setdefault("host", url.netloc)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return HttpRequest(
        method=prepared.method,
        path=url.path or "/",
        query_string=url.query,
        headers=headers,
        body=body,
    )


def http_request(service: str, operation: str, params: dict[str, Any]) -> HttpRequest:
    return to_http(client_request(service, operation, params))


def sign(
    request: AWSRequest,
    *,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    region: str = REGION,
    service: str = "ses",
) -> AWSRequest:
    SigV4Auth(Credentials(access_key, secret_key), service, region).add_auth(request)
    return request


def presign(
    request: AWSRequest,
    *,
    expires: int = 300,
    secret_key: str = SECRET_KEY,
    region: str = REGION,
) -> AWSRequest:
    SigV4QueryAuth(Credentials(ACCESS_KEY, secret_key), "ses", region, expires=expires).add_auth(request)
    return request


def parse_response(service: str, operation: str, response: HttpResponse) -> dict[str, Any]:
    """botocore's reading of ``response`` (errors included), as a client would see it."""
    model = client_model(service).operation_model(operation)
    parser = create_parser(model.metadata["protocol"])
    headers = {name.lower(): value for name, value in response.headers.items()}
    raw = {"status_code": response.status, "headers": headers, "body": response.body}
    parsed: dict[str, Any] = parser.parse(raw, model.output_shape)
    return parsed


def without_metadata(parsed: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in parsed.items() if key != "ResponseMetadata"}


# --- sample values that satisfy a shape ---------------------------------------------------------

# Shapes with a regular-expression constraint need hand-picked values that match it.
_PATTERN_SAMPLES = {
    "ConnectInstanceArn": (
        "arn:aws:connect:us-east-1:123456789012:instance/12345678-1234-1234-1234-123456789012"
    ),
    "IAMRoleARN": "arn:aws:iam::123456789012:role/sesame-role",
    "AdditionalContactEmailAddress": "ops@example.com",
    "ArchiveArn": "arn:aws:ses:us-east-1:123456789012:mailmanager-archive/a-" + "a" * 24,
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
    "EndpointName": "endpoint-1",
    "MessageHeaderName": "X-Custom",
    "MessageHeaderValue": "value 1",
    "NextTokenV2": "dG9rZW4=",
    "PrivateKey": "QUJDRA==",
    "S3Url": "s3://bucket/key",
    "Selector": "sel1",
    "WebsiteURL": "https://example.com/",
}
# Characters that must survive form, path, query-string and JSON encoding alike.
_AWKWARD_TEXT = "Sé s@me/x+y&z=1 %41"


def sample(shape: Any, depth: int = 0) -> Any:
    """A value for ``shape`` meeting its constraints, with every optional member filled in."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        members = shape.members
        if meta.get("union"):
            name = next(iter(members))
            return {name: sample(members[name], depth + 1)}
        required = set(shape.required_members)
        return {
            name: sample(member, depth + 1)
            for name, member in members.items()
            if depth < 6 or name in required
        }
    if kind == "list":
        count = max(meta.get("min", 0), min(2, meta.get("max", 2)))
        return [sample(shape.member, depth + 1) for _ in range(count)]
    if kind == "map":
        return {sample(shape.key, depth + 1): sample(shape.value, depth + 1)}
    if kind == "string":
        if meta.get("enum"):
            return meta["enum"][0]
        if shape.name in _PATTERN_SAMPLES:
            return _PATTERN_SAMPLES[shape.name]
        low, high = meta.get("min", 1), meta.get("max", 256)
        text = _AWKWARD_TEXT[:high]
        return text + "x" * max(0, low - len(text))
    if kind in ("integer", "long"):
        low, high = meta.get("min", 3), meta.get("max", 1 << 31)
        return max(low, min(3, high))
    if kind in ("double", "float"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return SAMPLE_TIME
    if kind == "blob":
        return b"\x00\xffbinary"
    raise AssertionError(f"no sample for {kind}")
