"""Invoking the functions that Lambda receipt actions name.

In AWS the function is invoked with ``lambda:InvokeFunction``. Local mode cannot run Lambda
functions (the emulation needs Docker for that), so there each function ARN is mapped, from the
settings, to a Python callable (``package.module:function``, called with the event and None as
the context) or an HTTP endpoint (``http://...``, the event POSTed as JSON, the response body
taken as the function's result).
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sesame.domain.receiving.action_ports import ActionFailed

log = logging.getLogger(__name__)

# SES gives a RequestResponse invocation 30 seconds.
REQUEST_RESPONSE_TIMEOUT = 30.0


class AwsLambdaInvoker:
    def __init__(self, lambda_client: Any) -> None:
        self._lambda = lambda_client

    def exists(self, function_arn: str) -> bool:
        try:
            self._lambda.get_function(FunctionName=function_arn)
        except ClientError:
            return False
        return True

    def invoke(self, function_arn: str, event: dict[str, Any], *, wait: bool) -> Any:
        try:
            answer = self._lambda.invoke(
                FunctionName=function_arn,
                InvocationType="RequestResponse" if wait else "Event",
                Payload=json.dumps(event).encode("utf-8"),
            )
        except (ClientError, BotoCoreError) as error:
            raise ActionFailed(f"invoking {function_arn} failed: {error}") from error
        if answer.get("FunctionError"):
            raise ActionFailed(f"{function_arn} failed: {answer['FunctionError']}")
        if not wait:
            return None
        payload = answer["Payload"].read()
        return json.loads(payload) if payload else None


def _callable(target: str) -> Callable[[dict[str, Any], Any], Any]:
    module_name, _, attribute = target.partition(":")
    function = getattr(importlib.import_module(module_name), attribute)
    if not callable(function):
        raise TypeError(f"{target} is not callable")
    return function  # type: ignore[no-any-return]


class MappedFunctionInvoker:
    """Local mode's functions: ARN -> ``module:function`` or ``http(s)://endpoint``."""

    def __init__(self, targets: Mapping[str, str]) -> None:
        self._targets = dict(targets)

    def exists(self, function_arn: str) -> bool:
        return function_arn in self._targets

    def invoke(self, function_arn: str, event: dict[str, Any], *, wait: bool) -> Any:
        target = self._targets.get(function_arn)
        if target is None:
            raise ActionFailed(f"no function is mapped to {function_arn}")
        if not wait:
            # An Event invocation returns once the event is handed over; the function's own
            # failures are its business, as with Lambda's asynchronous invocations.
            threading.Thread(
                target=self._call_quietly, args=(function_arn, target, event), daemon=True
            ).start()
            return None
        return self._call(function_arn, target, event)

    def _call_quietly(self, function_arn: str, target: str, event: dict[str, Any]) -> None:
        try:
            self._call(function_arn, target, event)
        except ActionFailed:
            log.exception("asynchronous invocation of %s failed", function_arn)

    def _call(self, function_arn: str, target: str, event: dict[str, Any]) -> Any:
        if target.startswith(("http://", "https://")):
            request = urllib.request.Request(  # noqa: S310 (the endpoint comes from the operator's settings)
                target,
                data=json.dumps(event).encode("utf-8"),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=REQUEST_RESPONSE_TIMEOUT) as response:  # noqa: S310
                    body = response.read()
            except (urllib.error.URLError, OSError) as error:
                raise ActionFailed(f"{function_arn} ({target}) failed: {error}") from error
            try:
                return json.loads(body) if body.strip() else None
            except ValueError:
                return None
        try:
            return _callable(target)(event, None)
        except Exception as error:
            raise ActionFailed(f"{function_arn} ({target}) raised {error!r}") from error
