"""JSON values to and from the Python values of a shape (the body of REST-JSON messages).

Input is checked for type as it is read (a string where the model wants an integer is a
validation error naming the member); constraints are ``validate``'s job afterwards. Output is
checked as strictly: a handler that returns a key or a type the shape does not have is a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import Shape

from sesame.protocol.models import OutputShapeError, member_wire_name
from sesame.protocol.scalars import (
    INTEGER_TYPES,
    ScalarError,
    decode_base64,
    output_scalar,
    parse_timestamp,
)
from sesame.protocol.validate import element_path, map_value_path, member_path, type_mismatch


def read_members(shape: Shape, body: Mapping[str, Any], path: str, *, body_only: bool) -> dict[str, Any]:
    """The members of structure ``shape`` found in JSON object ``body``. ``body_only`` skips
    members bound to the URI, query string or headers (a top-level input's non-body members)."""
    result: dict[str, Any] = {}
    for name, member in shape.members.items():
        if body_only and "location" in member.serialization:
            continue
        raw = body.get(member_wire_name(member, name))
        if raw is not None:  # JSON null means "not given"
            result[name] = read_value(member, raw, member_path(path, name))
    return result


def read_value(shape: Shape, raw: Any, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return raw
        if not isinstance(raw, dict):
            raise type_mismatch(path, raw, shape, "structure")
        return read_members(shape, raw, path, body_only=False)
    if kind == "list":
        if not isinstance(raw, list):
            raise type_mismatch(path, raw, shape, "list")
        return [
            None if item is None else read_value(shape.member, item, element_path(path, index))
            for index, item in enumerate(raw, 1)
        ]
    if kind == "map":
        if not isinstance(raw, dict):
            raise type_mismatch(path, raw, shape, "map")
        return {
            read_value(shape.key, key, path): None
            if item is None
            else read_value(shape.value, item, map_value_path(path, key))
            for key, item in raw.items()
        }
    return _read_scalar(shape, raw, path)


def _read_scalar(shape: Shape, raw: Any, path: str) -> Any:
    kind = shape.type_name
    if kind in ("string", "character"):
        if isinstance(raw, str):
            return raw
        raise type_mismatch(path, raw, shape, "string")
    if isinstance(raw, bool):
        if kind == "boolean":
            return raw
        raise type_mismatch(path, raw, shape, kind)
    if kind in INTEGER_TYPES:
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        raise type_mismatch(path, raw, shape, "integer")
    if kind in ("double", "float"):
        if isinstance(raw, int | float):
            return float(raw)
        if isinstance(raw, str) and raw in ("NaN", "Infinity", "-Infinity"):
            return float(raw)
        raise type_mismatch(path, raw, shape, "number")
    try:
        if kind == "timestamp" and isinstance(raw, str | int | float):
            return parse_timestamp(raw)
        if kind == "blob" and isinstance(raw, str):
            return decode_base64(raw)
    except ScalarError as exc:
        raise type_mismatch(path, raw, shape, exc.kind) from None
    raise type_mismatch(path, raw, shape, kind)


def write_members(shape: Shape, value: Mapping[str, Any], where: str, *, body_only: bool) -> dict[str, Any]:
    """The JSON object for structure ``shape``; keys not in the shape raise OutputShapeError."""
    if not isinstance(value, Mapping):
        raise OutputShapeError(f"{where}: expected a mapping for {shape.name}, got {type(value).__name__}")
    members = shape.members
    unknown = [key for key in value if key not in members]
    if unknown:
        raise OutputShapeError(f"{where}: {shape.name} has no member(s) {', '.join(map(str, unknown))}")
    result: dict[str, Any] = {}
    for name, member in members.items():
        item = value.get(name)
        if item is None or (body_only and "location" in member.serialization):
            continue
        result[member_wire_name(member, name)] = write_value(member, item, f"{where}.{name}")
    return result


def write_value(shape: Shape, value: Any, where: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        return write_members(shape, value, where, body_only=False)
    if kind == "list":
        if not isinstance(value, list | tuple):
            raise OutputShapeError(f"{where}: expected a list, got {type(value).__name__}")
        return [_write_present(shape.member, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, Mapping):
            raise OutputShapeError(f"{where}: expected a mapping, got {type(value).__name__}")
        return {
            str(write_value(shape.key, key, where)): _write_present(shape.value, item, f"{where}[{key!r}]")
            for key, item in value.items()
        }
    timestamp_format = shape.serialization.get("timestampFormat", "unixTimestamp")
    try:
        return output_scalar(kind, value, timestamp_format)
    except TypeError as exc:
        raise OutputShapeError(f"{where}: {exc}") from None


def _write_present(shape: Shape, value: Any, where: str) -> Any:
    if value is None:
        raise OutputShapeError(f"{where}: null inside a list or map")
    return write_value(shape, value, where)
