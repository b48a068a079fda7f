"""The whole wire path under real botocore clients: sign, route, verify, parse, serialize, read.

botocore's ``before-send`` hook hands each prepared request to a tiny in-process server built
from the protocol layer alone, and its answer goes back through botocore's own response handling:
no sockets, but every byte on the wire is the SDK's or ours.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from sesame.domain import errors
from sesame.protocol.http import HttpRequest, HttpResponse
from sesame.protocol.select import protocol_for
from sesame.protocol.sigv4 import SigV4Verifier
from tests.unit.protocol.protocol_helpers import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    prepared_to_http,
)

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class InProcessSes:
    """Just enough of a server to exercise the protocol layer end to end."""

    def __init__(self) -> None:
        self.handlers: dict[tuple[int, str], Handler] = {}
        self.calls: list[tuple[int, str, dict[str, Any]]] = []
        self._ids = itertools.count(1)
        self._verifier = SigV4Verifier(
            region=REGION, secret_for=lambda key: SECRET_KEY if key == ACCESS_KEY else None
        )

    def handle(self, request: HttpRequest) -> HttpResponse:
        protocol = protocol_for(request)
        if protocol is None:
            return HttpResponse(404)
        request_id = f"req-{next(self._ids)}"
        try:
            self._verifier.verify(request)
            call = protocol.parse(request)
            self.calls.append((call.version, call.operation, call.params))
            handler = self.handlers.get((call.version, call.operation))
            if handler is None:
                raise errors.InvalidAction(f"Unrecognized operation: {call.operation}")
            return protocol.serialize(call.operation, handler(call.params), request_id)
        except errors.SesError as error:
            return protocol.serialize_error(error, request_id)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@pytest.fixture
def server() -> InProcessSes:
    return InProcessSes()


@functools.cache
def _session() -> Any:
    return botocore.session.get_session()  # one per module: sessions are slow to build


def make_client(
    server: InProcessSes,
    service: str,
    *,
    access_key: str = ACCESS_KEY,
    secret: str = SECRET_KEY,
    **config: Any,
) -> Any:
    client = _session().create_client(
        service,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}, **config),
    )

    def send(request: Any, **_: Any) -> AWSResponse:
        response = server.handle(prepared_to_http(request))
        return AWSResponse(request.url, response.status, response.headers, _Raw(response.body))

    client.meta.events.register("before-send", send)
    return client


# --- v1 ------------------------------------------------------------------------------------------


def test_given_a_v1_send_email_when_called_then_the_handler_sees_the_params_and_the_client_its_result(
    server: InProcessSes,
) -> None:
    server.handlers[(1, "SendEmail")] = lambda params: {"MessageId": "0100-abc"}
    client = make_client(server, "ses")

    result = client.send_email(
        Source="a@example.com",
        Destination={"ToAddresses": ["b@example.com"]},
        Message={"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}},
        Tags=[{"Name": "k", "Value": "v"}],
    )

    assert result["MessageId"] == "0100-abc"
    assert result["ResponseMetadata"]["RequestId"] == "req-1"
    assert server.calls[0][2]["Destination"] == {"ToAddresses": ["b@example.com"]}
    assert server.calls[0][2]["Tags"] == [{"Name": "k", "Value": "v"}]


def test_given_v1_statistics_with_timestamps_when_called_then_the_client_gets_datetimes(
    server: InProcessSes,
) -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    server.handlers[(1, "GetSendStatistics")] = lambda params: {
        "SendDataPoints": [{"Timestamp": when, "DeliveryAttempts": 3, "Bounces": 0}]
    }

    result = make_client(server, "ses").get_send_statistics()

    assert result["SendDataPoints"] == [{"Timestamp": when, "DeliveryAttempts": 3, "Bounces": 0}]


def test_given_a_v1_modeled_error_when_raised_then_the_client_raises_its_exception_class(
    server: InProcessSes,
) -> None:
    def fail(params: dict[str, Any]) -> dict[str, Any]:
        raise errors.AlreadyExists("Template already exists.")

    server.handlers[(1, "CreateTemplate")] = fail
    client = make_client(server, "ses")

    with pytest.raises(client.exceptions.AlreadyExistsException) as raised:
        client.create_template(Template={"TemplateName": "t"})

    assert raised.value.response["Error"]["Code"] == "AlreadyExists"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_given_the_wrong_secret_when_a_v1_call_is_made_then_signature_does_not_match_403(
    server: InProcessSes,
) -> None:
    client = make_client(server, "ses", secret="wrong")

    with pytest.raises(ClientError) as raised:
        client.get_send_quota()

    assert raised.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert server.calls == []


def test_given_an_operation_without_a_handler_when_called_then_invalid_action(server: InProcessSes) -> None:
    with pytest.raises(ClientError) as raised:
        make_client(server, "ses").list_receipt_rule_sets()

    assert raised.value.response["Error"]["Code"] == "InvalidAction"


def test_given_invalid_v1_input_the_client_did_not_check_when_called_then_validation_error(
    server: InProcessSes,
) -> None:
    client = make_client(server, "ses", parameter_validation=False)

    with pytest.raises(ClientError) as raised:
        client.set_identity_notification_topic(Identity="example.com", NotificationType="Spam")

    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "notificationType" in raised.value.response["Error"]["Message"]


# --- v2 ------------------------------------------------------------------------------------------


def test_given_a_v2_identity_with_an_at_sign_when_fetched_then_the_handler_sees_it_decoded(
    server: InProcessSes,
) -> None:
    server.handlers[(2, "GetEmailIdentity")] = lambda params: {
        "IdentityType": "EMAIL_ADDRESS",
        "VerifiedForSendingStatus": True,
        "Tags": [],
    }

    result = make_client(server, "sesv2").get_email_identity(EmailIdentity="user+tag@example.com")

    assert server.calls == [(2, "GetEmailIdentity", {"EmailIdentity": "user+tag@example.com"})]
    assert result["VerifiedForSendingStatus"] is True
    assert result["Tags"] == []


def test_given_v2_query_string_members_when_called_then_lists_and_dates_arrive_typed(
    server: InProcessSes,
) -> None:
    updated = datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    server.handlers[(2, "ListSuppressedDestinations")] = lambda params: {
        "SuppressedDestinationSummaries": [
            {"EmailAddress": "x@example.com", "Reason": "BOUNCE", "LastUpdateTime": updated}
        ],
        "NextToken": "next",
    }
    start = datetime(2024, 1, 1, tzinfo=UTC)

    result = make_client(server, "sesv2").list_suppressed_destinations(
        Reasons=["BOUNCE", "COMPLAINT"], StartDate=start, PageSize=10
    )

    assert server.calls[0][2] == {"Reasons": ["BOUNCE", "COMPLAINT"], "StartDate": start, "PageSize": 10}
    assert result["SuppressedDestinationSummaries"][0]["LastUpdateTime"] == updated
    assert result["NextToken"] == "next"


@pytest.mark.parametrize(
    ("error", "exception", "status"),
    [
        (errors.NotFound("Email identity x does not exist."), "NotFoundException", 404),
        (errors.TooManyRequests("Too many requests."), "TooManyRequestsException", 429),
        (errors.AlreadyExists("exists"), "AlreadyExistsException", 400),
        (errors.LimitExceeded("limit"), "LimitExceededException", 400),
    ],
)
def test_given_a_v2_error_when_raised_then_the_client_raises_the_modeled_exception(
    server: InProcessSes, error: errors.SesError, exception: str, status: int
) -> None:
    def fail(params: dict[str, Any]) -> dict[str, Any]:
        raise error

    server.handlers[(2, "CreateEmailIdentity")] = fail
    client = make_client(server, "sesv2")

    with pytest.raises(getattr(client.exceptions, exception)) as raised:
        client.create_email_identity(EmailIdentity="example.com")

    assert raised.value.response["Error"]["Message"] == error.message
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_given_an_unknown_access_key_when_a_v2_call_is_made_then_unrecognized_client_403(
    server: InProcessSes,
) -> None:
    client = make_client(server, "sesv2", access_key="AKIDNOBODY")

    with pytest.raises(ClientError) as raised:
        client.get_account()

    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_given_invalid_v2_input_the_client_did_not_check_when_called_then_bad_request(
    server: InProcessSes,
) -> None:
    client = make_client(server, "sesv2", parameter_validation=False)

    with pytest.raises(client.exceptions.BadRequestException) as raised:
        client.put_email_identity_dkim_signing_attributes(
            EmailIdentity="example.com", SigningAttributesOrigin="NOPE"
        )

    assert "signingAttributesOrigin" in raised.value.response["Error"]["Message"]
