"""Validation of parsed parameters against the operation's input shape, reported as AWS does.

AWS's services report every constraint violation of a request in one message::

    2 validation errors detected: Value null at 'destination' failed to satisfy constraint:
    Member must not be null; Value 'x' at 'tags.1.member.name' failed to satisfy constraint: ...

Paths use the member names with a lower-case first letter, list elements as ``N.member``
(1-based) and map values under their key. The error is ``errors.ValidationError``: v1 code
``ValidationError``, v2 code ``BadRequestException``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.model import Shape

from sesame.domain import errors

# Values longer than this are cut in messages: a 10 MB raw message must not echo back whole.
_MAX_SHOWN = 256


def member_path(parent: str, member: str) -> str:
    name = member[:1].lower() + member[1:]
    return f"{parent}.{name}" if parent else name


def element_path(parent: str, index: int) -> str:
    return f"{parent}.{index}.member"


def map_value_path(parent: str, key: str) -> str:
    return f"{parent}.{key}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _value_clause(value: Any, shape: Shape | None) -> str:
    if value is None:
        return "Value null"
    if shape is not None and shape.metadata.get("sensitive"):
        return "Value"  # never echo secrets (private keys, addresses marked sensitive)
    if isinstance(value, bytes | bytearray | Mapping):
        return "Value"
    shown = _show(value)
    if len(shown) > _MAX_SHOWN:
        shown = shown[:_MAX_SHOWN] + "..."
    return f"Value '{shown}'"


def violation(path: str, value: Any, shape: Shape | None, constraint: str) -> str:
    return f"{_value_clause(value, shape)} at '{path}' failed to satisfy constraint: {constraint}"


def validation_error(violations: list[str]) -> errors.ValidationError:
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return errors.ValidationError(f"{count} validation {noun} detected: " + "; ".join(violations))


def type_mismatch(path: str, value: Any, shape: Shape | None, kind: str) -> errors.ValidationError:
    """A value of the wrong type (``kind`` names the expected one): reported like a constraint."""
    clause = _value_clause(value, shape) if isinstance(value, str | int | float) else "Value"
    return validation_error(
        [f"{clause} at '{path}' failed to satisfy constraint: Member must be a valid {kind}"]
    )


def validate(shape: Shape | None, params: Mapping[str, Any]) -> None:
    """Raise ``errors.ValidationError`` listing every way ``params`` break ``shape``'s constraints."""
    if shape is None:
        return
    found: list[str] = []
    _check_structure(shape, params, "", found)
    if found:
        raise validation_error(found)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    # Model patterns follow Smithy: not implicitly anchored, so a search, not a full match.
    return re.compile(pattern)


def _check(shape: Shape, value: Any, path: str, found: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        _check_structure(shape, value, path, found)
    elif kind == "list":
        _check_size(shape, value, len(value), path, found)
        for index, item in enumerate(value, 1):
            _check_present(shape.member, item, element_path(path, index), found)
    elif kind == "map":
        _check_size(shape, value, len(value), path, found)
        for key, item in value.items():
            _check(shape.key, key, path, found)
            _check_present(shape.value, item, map_value_path(path, key), found)
    elif kind == "string":
        _check_string(shape, value, path, found)
    elif kind == "blob":
        _check_size(shape, value, len(value), path, found)
    elif kind in ("integer", "long", "double", "float"):
        _check_range(shape, value, path, found)


def _check_present(shape: Shape, value: Any, path: str, found: list[str]) -> None:
    if value is None:
        found.append(violation(path, None, shape, "Member must not be null"))
    else:
        _check(shape, value, path, found)


def _check_structure(shape: Shape, value: Mapping[str, Any], path: str, found: list[str]) -> None:
    members = shape.members
    for name in shape.required_members:
        if value.get(name) is None:
            found.append(violation(member_path(path, name), None, members[name], "Member must not be null"))
    if shape.metadata.get("union"):
        present = [name for name in members if value.get(name) is not None]
        if len(present) != 1:
            found.append(violation(path or "input", None, shape, "Member must have exactly one member set"))
    for name, member in members.items():
        item = value.get(name)
        if item is not None:
            _check(member, item, member_path(path, name), found)


def _check_size(shape: Shape, value: Any, size: int, path: str, found: list[str]) -> None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and size < low:
        found.append(violation(path, value, shape, f"Member must have length greater than or equal to {low}"))
    if high is not None and size > high:
        found.append(violation(path, value, shape, f"Member must have length less than or equal to {high}"))


def _check_range(shape: Shape, value: float, path: str, found: list[str]) -> None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and value < low:
        found.append(violation(path, value, shape, f"Member must have value greater than or equal to {low}"))
    if high is not None and value > high:
        found.append(violation(path, value, shape, f"Member must have value less than or equal to {high}"))


def _check_string(shape: Shape, value: str, path: str, found: list[str]) -> None:
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        allowed = ", ".join(enum)
        found.append(violation(path, value, shape, f"Member must satisfy enum value set: [{allowed}]"))
    _check_size(shape, value, len(value), path, found)
    pattern = shape.metadata.get("pattern")
    if pattern is not None and _compiled(pattern).search(value) is None:
        found.append(
            violation(path, value, shape, f"Member must satisfy regular expression pattern: {pattern}")
        )
