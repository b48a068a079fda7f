"""SES v2's wire protocol: REST-JSON (``/v2/email/...`` routes, JSON bodies and responses).

Routing comes from the models' ``requestUri`` templates (``routes``), reading a request's
members from their locations from ``restinput``. Outputs go the other way: body members to JSON,
``header`` members to headers, ``statusCode`` to the status, timestamps as epoch seconds.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

from botocore.model import Shape

from sesame.domain import errors
from sesame.protocol.http import HttpRequest, HttpResponse
from sesame.protocol.jsonvalues import write_members, write_value
from sesame.protocol.models import OutputShapeError, ServiceName, error_index, operation_model, service_model
from sesame.protocol.restinput import read_input
from sesame.protocol.routes import RouteMatch, Router, parse_template
from sesame.protocol.scalars import format_rfc822
from sesame.protocol.validate import validate
from sesame.protocol.wire import ApiCall

SERVICE: Final[ServiceName] = "sesv2"
_JSON_TYPE = "application/json"
# Codes AWS answers with a status of their own though the model has no shape for them.
_UNMODELED_STATUS = {"UnknownOperationException": 404, "InvalidSignatureException": 403}


# Routes that clients built on older models still call: SES v2 moved these list operations from
# GET with paging in the query string to POST with a JSON body, and answers both.
_LEGACY_ROUTES = (
    ("GET", "/v2/email/identities", "ListEmailIdentities", ("NextToken", "PageSize")),
    ("GET", "/v2/email/configuration-sets", "ListConfigurationSets", ("NextToken", "PageSize")),
)


@functools.cache
def router() -> Router:
    model = service_model(SERVICE)
    routes = [
        parse_template(op.http["method"], name, op.http["requestUri"])
        for name in model.operation_names
        for op in (model.operation_model(name),)
    ]
    modeled = {(route.method, route.segments) for route in routes}
    for method, uri, operation, query_members in _LEGACY_ROUTES:
        legacy = parse_template(method, operation, uri, query_members)
        if operation in model.operation_names and (legacy.method, legacy.segments) not in modeled:
            routes.append(legacy)
    return Router(routes)


def _query(request: HttpRequest) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(request.query_string, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise errors.MalformedRequest("The query string is not valid UTF-8.") from None
    for name, value in pairs:
        query.setdefault(name, []).append(value)
    return query


def _route(request: HttpRequest, query: Mapping[str, list[str]]) -> RouteMatch:
    found = router().match(request.method, request.path, query)
    if found is None:
        raise errors.InvalidAction(f"Unrecognized operation: {request.method.upper()} {request.path}")
    return found


class RestJsonProtocol:
    """Implements ``WireProtocol`` for SES v2 (``GET /v2/email/identities/{EmailIdentity}`` ...)."""

    version: int = 2

    def operation_name(self, request: HttpRequest) -> str:
        return _route(request, _query(request)).operation

    def parse(self, request: HttpRequest) -> ApiCall:
        query = _query(request)
        found = _route(request, query)
        shape = operation_model(SERVICE, found.operation).input_shape
        params = read_input(shape, found, query, request) if shape is not None else {}
        validate(shape, params)
        return ApiCall(version=2, operation=found.operation, params=params)

    def serialize(self, operation: str, output: Mapping[str, Any], request_id: str) -> HttpResponse:
        model = operation_model(SERVICE, operation)
        shape = model.output_shape
        status = int(model.http.get("responseCode", 200))
        headers = {"Content-Type": _JSON_TYPE, "x-amzn-RequestId": request_id}
        if shape is None:
            if output:
                raise OutputShapeError(f"{operation} has no output, got {sorted(output)}")
            return HttpResponse(status=status, headers=headers, body=b"{}")
        body_value = write_members(shape, output, operation, body_only=True)
        for name, member in shape.members.items():
            value = output.get(name)
            location = member.serialization.get("location")
            if value is None or location is None:
                continue
            if location == "statusCode":
                status = int(value)
            elif location == "header":
                headers[member.serialization.get("name", name)] = _header_text(member, value, operation)
            elif location == "headers":
                prefix = member.serialization.get("name", "")
                headers.update({prefix + key: str(item) for key, item in value.items()})
        payload = shape.serialization.get("payload")
        if payload is not None:
            return HttpResponse(status, headers, _payload_body(shape.members[payload], output.get(payload)))
        return HttpResponse(status, headers, _dump(body_value))

    def serialize_error(self, error: errors.SesError, request_id: str) -> HttpResponse:
        code = error.wire_code(2)
        modeled = error_index(SERVICE).get(code)
        status = modeled.status if modeled else _UNMODELED_STATUS.get(code, error.status)
        headers = {
            "Content-Type": _JSON_TYPE,
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": code,
        }
        return HttpResponse(status=status, headers=headers, body=_dump({"message": error.message}))


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _payload_body(shape: Shape, value: Any) -> bytes:
    if value is None:
        return b"" if shape.type_name in ("blob", "string") else b"{}"
    if shape.type_name == "blob":
        return bytes(value)
    if shape.type_name == "string":
        return str(value).encode("utf-8")
    return _dump(write_value(shape, value, shape.name))


def _header_text(shape: Shape, value: Any, where: str) -> str:
    if shape.type_name == "timestamp" and shape.serialization.get("timestampFormat") is None:
        return format_rfc822(value)
    if shape.type_name == "list":
        return ",".join(str(_header_text(shape.member, item, where)) for item in value)
    if shape.serialization.get("jsonvalue"):
        return base64.b64encode(_dump(value)).decode("ascii")
    wire = write_value(shape, value, where)
    if isinstance(wire, bool):
        return "true" if wire else "false"
    return str(wire)


def warm() -> None:
    """Load the model and build the route table ahead of the first request."""
    router()
