"""Every operation of SES's two APIs that Sesame does not implement answers, through the real
SDK, with an AWS-shaped client error that names the operation: never a 500, never a wrong
operation."""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.model import ServiceModel

import sesame.api.operations  # noqa: F401  (registers every handler, as the server does)
from sesame.api.registry import implemented
from tests.support.compat_clients import aws_cli_run, client_error, sdk_client
from tests.support.local_process import LocalProcess

SERVICE = {1: "ses", 2: "sesv2"}
# v1 answers InvalidAction (400) as Query APIs do; v2 UnknownOperationException (404).
ANSWER = {1: ("InvalidAction", 400), 2: ("UnknownOperationException", 404)}


@functools.cache
def _model(version: int) -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE[version])


def _operations(version: int) -> list[str]:
    return list(_model(version).operation_names)


def _unimplemented(version: int) -> list[str]:
    done = {name for v, name in implemented() if v == version}
    return [name for name in _operations(version) if name not in done]


def _uri_params(version: int, operation: str) -> dict[str, Any]:
    """Values for the members that make up the request's path, the least a route needs."""
    if version == 1:
        return {}
    shape = _model(version).operation_model(operation).input_shape
    if shape is None:
        return {}
    return {
        name: "x" for name, member in shape.members.items() if member.serialization.get("location") == "uri"
    }


@pytest.fixture(scope="module")
def unchecked_clients(local: LocalProcess) -> dict[int, Any]:
    # Parameter validation off: the point is what the server says about the operation itself.
    config = Config(parameter_validation=False)
    return {version: sdk_client(local, SERVICE[version], config=config) for version in SERVICE}


def test_both_apis_still_have_operations_sesame_does_not_implement() -> None:
    # The sweep below is empty otherwise; then this suite needs another way to reach one.
    assert _unimplemented(1) and _unimplemented(2)
    assert len(_unimplemented(1)) < len(_operations(1)) and len(_unimplemented(2)) < len(_operations(2))


@pytest.mark.parametrize("version", [1, 2], ids=["v1", "v2"])
def test_every_unimplemented_operation_is_a_named_client_error(
    unchecked_clients: dict[int, Any], version: int
) -> None:
    client = unchecked_clients[version]
    wrong: list[str] = []
    for operation in _unimplemented(version):
        error = client_error(
            client._make_api_call, operation_name=operation, api_params=_uri_params(version, operation)
        )
        if (error.code, error.status) != ANSWER[version] or operation not in error.message:
            wrong.append(f"{operation}: {error}")
    assert wrong == []


def test_a_well_formed_call_of_an_unimplemented_operation_names_it(local: LocalProcess) -> None:
    # The ordinary way a user meets one: a generated client method with valid parameters.
    v1 = next(
        name
        for name in ("ListConfigurationSets", "ListTemplates", "ListReceiptRuleSets")
        if name in _unimplemented(1)
    )
    v2 = next(
        name
        for name in ("ListContactLists", "ListEmailTemplates", "ListDedicatedIpPools")
        if name in _unimplemented(2)
    )
    ses, sesv2 = sdk_client(local, "ses"), sdk_client(local, "sesv2")
    error = client_error(getattr(ses, _snake(v1)))
    assert (error.code, error.status) == ANSWER[1]
    assert error.message == f"The operation {v1} is not supported by Sesame."
    error = client_error(getattr(sesv2, _snake(v2)))
    assert (error.code, error.status) == ANSWER[2]
    assert error.message == f"The operation {v2} is not supported by Sesame."


def test_the_aws_cli_reports_an_unimplemented_operation_by_name(local: LocalProcess) -> None:
    v2 = next(
        name
        for name in ("ListContactLists", "ListEmailTemplates", "ListDedicatedIpPools")
        if name in _unimplemented(2)
    )
    done = aws_cli_run(local, "sesv2", _snake(v2).replace("_", "-"))
    assert done.returncode != 0
    assert f"(UnknownOperationException) when calling the {v2} operation" in done.stderr
    assert f"The operation {v2} is not supported by Sesame." in done.stderr


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
