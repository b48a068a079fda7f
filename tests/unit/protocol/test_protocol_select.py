"""Choosing the protocol from the path, and loading each model once per process."""

from __future__ import annotations

import pytest

from sesame.protocol.http import HttpRequest
from sesame.protocol.models import error_index, service_model
from sesame.protocol.query import QueryProtocol
from sesame.protocol.restjson import RestJsonProtocol
from sesame.protocol.select import protocol_for


def request_to(path: str) -> HttpRequest:
    return HttpRequest("POST", path, "", {}, b"")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", QueryProtocol),
        ("", QueryProtocol),
        ("/v2/email/outbound-emails", RestJsonProtocol),
        ("/v2/email/identities/user%40example.com", RestJsonProtocol),
    ],
)
def test_given_an_ses_path_when_selecting_then_its_protocol_is_chosen(path: str, expected: type) -> None:
    chosen = protocol_for(request_to(path))

    assert isinstance(chosen, expected)
    assert chosen.version == (1 if expected is QueryProtocol else 2)


@pytest.mark.parametrize("path", ["/favicon.ico", "/v2", "/v1/email", "/admin/"])
def test_given_a_path_outside_both_apis_when_selecting_then_there_is_no_protocol(path: str) -> None:
    assert protocol_for(request_to(path)) is None


def test_given_repeated_lookups_when_loading_models_then_each_is_loaded_once() -> None:
    assert service_model("ses") is service_model("ses")
    assert service_model("sesv2") is service_model("sesv2")
    assert service_model("ses").api_version == "2010-12-01"


def test_given_the_models_when_indexing_errors_then_wire_codes_map_to_model_statuses() -> None:
    assert error_index("ses")["AlreadyExists"].status == 400
    assert error_index("sesv2")["NotFoundException"].status == 404
    assert error_index("sesv2")["TooManyRequestsException"].status == 429
    assert error_index("sesv2")["InternalServiceErrorException"].sender_fault is False
