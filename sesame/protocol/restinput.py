"""A REST-JSON request's parameters, gathered from wherever the input shape puts each member.

``uri`` members come from the route's labels, ``querystring`` members from the query (lists as
repeated names, a map member takes every name no other member claims), ``header``/``headers``
from the headers, and the rest from the JSON body (or the whole body for a ``payload`` member).
Text forms are converted to the member's type here; a wrong type is a validation error.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from botocore.model import Shape

from sesame.domain import errors
from sesame.protocol.http import HttpRequest
from sesame.protocol.jsonvalues import read_members, read_value
from sesame.protocol.routes import RouteMatch
from sesame.protocol.scalars import ScalarError, parse_text_scalar, parse_timestamp
from sesame.protocol.validate import member_path, type_mismatch


def read_input(
    shape: Shape, found: RouteMatch, query: Mapping[str, list[str]], request: HttpRequest
) -> dict[str, Any]:
    """The parameters of input ``shape`` in ``request``, routed as ``found`` (unvalidated)."""
    labels = found.labels
    params: dict[str, Any] = {}
    claimed = {
        member.serialization.get("name", name)
        for name, member in shape.members.items()
        if member.serialization.get("location") == "querystring" and member.type_name != "map"
    }
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        path = member_path("", name)
        value: Any = None
        if location == "uri":
            if wire_name in labels:
                value = _text(member, labels[wire_name], path)
        elif location == "querystring":
            value = _from_query(member, wire_name, query, claimed, path)
        elif location == "header":
            raw = request.header(wire_name)
            if raw:
                value = _from_header(member, raw, path)
        elif location == "headers":
            prefix = wire_name.lower()
            value = {k[len(prefix) :]: v for k, v in request.headers.items() if k.startswith(prefix)} or None
        if value is not None:
            params[name] = value
    payload = shape.serialization.get("payload")
    if payload is not None:
        value = _read_payload(shape.members[payload], request.body, member_path("", payload))
        if value is not None:
            params[payload] = value
    else:
        params.update(read_members(shape, _json_body(request.body), "", body_only=True))
    for name in found.query_members:
        values = query.get(name)
        if values and name in shape.members:
            params[name] = _text(shape.members[name], values[0], member_path("", name))
    return params


def _text(shape: Shape, raw: str, path: str) -> Any:
    try:
        return parse_text_scalar(shape.type_name, raw)
    except ScalarError as exc:
        raise type_mismatch(path, raw, shape, exc.kind) from None


def _from_query(
    shape: Shape, wire_name: str, query: Mapping[str, list[str]], claimed: set[str], path: str
) -> Any:
    if shape.type_name == "map":
        # A query-string map takes every parameter no other member names.
        rest = {key: values for key, values in query.items() if key not in claimed}
        if shape.value.type_name == "list":
            found = {
                key: [_text(shape.value.member, v, path) for v in values] for key, values in rest.items()
            }
        else:
            found = {key: _text(shape.value, values[0], path) for key, values in rest.items()}
        return found or None
    values = query.get(wire_name)
    if not values:
        return None
    if shape.type_name == "list":
        return [_text(shape.member, value, f"{path}.{i}.member") for i, value in enumerate(values, 1)]
    return _text(shape, values[0], path)


def _from_header(shape: Shape, raw: str, path: str) -> Any:
    if shape.type_name == "list":
        return [_text(shape.member, item.strip(), path) for item in raw.split(",")]
    if shape.type_name == "timestamp":
        try:
            return parse_timestamp(raw)
        except ScalarError as exc:
            raise type_mismatch(path, raw, shape, exc.kind) from None
    if shape.serialization.get("jsonvalue"):
        try:
            return json.loads(base64.b64decode(raw))
        except ValueError:
            raise type_mismatch(path, raw, shape, "base64-encoded JSON") from None
    return _text(shape, raw, path)


def _json_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.MalformedRequest(f"Could not parse request body into json: {exc}") from None
    except RecursionError:
        # Nesting deep enough to exhaust the stack is hostile, not a server fault.
        raise errors.MalformedRequest("Could not parse request body into json: nested too deeply") from None
    if not isinstance(parsed, dict):
        raise errors.MalformedRequest("Could not parse request body into json: expected an object")
    return parsed


def _read_payload(shape: Shape, body: bytes, path: str) -> Any:
    if shape.type_name == "blob":
        return body or None
    if shape.type_name == "string":
        try:
            return body.decode("utf-8") or None
        except UnicodeDecodeError:
            raise errors.MalformedRequest("The request body is not valid UTF-8.") from None
    if not body.strip():
        return None
    return read_value(shape, _json_body(body), path)
