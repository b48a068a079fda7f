"""Local mode's Lambda stand-ins: a function ARN mapped to a Python callable."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from sesame.adapters.lambda_invokers import MappedFunctionInvoker
from sesame.domain.receiving.action_ports import ActionFailed

ARN = "arn:aws:lambda:us-east-1:111111111111:function:"
seen: list[dict[str, Any]] = []
called = threading.Event()


def decide(event: dict[str, Any], context: Any) -> dict[str, str]:
    seen.append(event)
    called.set()
    return {"disposition": "STOP_RULE"}


def explode(event: dict[str, Any], context: Any) -> None:
    raise RuntimeError("function failed")


@pytest.fixture
def functions() -> MappedFunctionInvoker:
    seen.clear()
    called.clear()
    module = __name__
    return MappedFunctionInvoker({f"{ARN}decide": f"{module}:decide", f"{ARN}explode": f"{module}:explode"})


def test_a_mapped_callable_gets_the_event_and_its_result_is_returned(
    functions: MappedFunctionInvoker,
) -> None:
    assert functions.invoke(f"{ARN}decide", {"Records": []}, wait=True) == {"disposition": "STOP_RULE"}
    assert seen == [{"Records": []}]


def test_an_event_invocation_returns_at_once_and_the_function_still_runs(
    functions: MappedFunctionInvoker,
) -> None:
    assert functions.invoke(f"{ARN}decide", {"n": 1}, wait=False) is None
    assert called.wait(5)
    assert seen == [{"n": 1}]


def test_a_failing_function_fails_the_action_and_unknown_arns_do_not_exist(
    functions: MappedFunctionInvoker,
) -> None:
    with pytest.raises(ActionFailed):
        functions.invoke(f"{ARN}explode", {}, wait=True)
    with pytest.raises(ActionFailed):
        functions.invoke(f"{ARN}missing", {}, wait=True)
    assert functions.exists(f"{ARN}decide")
    assert not functions.exists(f"{ARN}missing")
