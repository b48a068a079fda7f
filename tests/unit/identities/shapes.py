"""Checks a handler's output against the operation's output shape in botocore's model, so a
misspelt member, a wrong enum value or a naive datetime fails a unit test, not a client."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape

_SERVICES = {1: "ses", 2: "sesv2"}


@cache
def service_model(version: int) -> ServiceModel:
    return botocore.session.get_session().get_service_model(_SERVICES[version])


def check_output(
    version: int, operation: str, output: Any, *, optional: frozenset[str] = frozenset()
) -> None:
    """``optional``: paths (like ``MailFromDomainAttributes.*.MailFromDomain``) whose required
    member may be missing because SES itself leaves it out."""
    shape = service_model(version).operation_model(operation).output_shape
    if shape is None:
        assert output == {}, f"{operation} has no output, got {output!r}"
        return
    _check(output, shape, operation, "", optional)


def _check(value: Any, shape: Shape, where: str, path: str, optional: frozenset[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{where}{path}: expected a structure"
        members = shape.members  # type: ignore[attr-defined]
        unknown = set(value) - set(members)
        assert not unknown, f"{where}{path}: unknown members {sorted(unknown)}"
        for name in shape.required_members:  # type: ignore[attr-defined]
            member_path = f"{path}.{name}".lstrip(".")
            if member_path not in optional:
                assert name in value, f"{where}: required member {member_path} missing"
        for name, item in value.items():
            _check(item, members[name], where, f"{path}.{name}".lstrip("."), optional)
    elif kind == "list":
        assert isinstance(value, list), f"{where}{path}: expected a list"
        for item in value:
            _check(item, shape.member, where, path, optional)  # type: ignore[attr-defined]
    elif kind == "map":
        assert isinstance(value, dict), f"{where}{path}: expected a map"
        for key, item in value.items():
            assert isinstance(key, str)
            _check(item, shape.value, where, f"{path}.*".lstrip("."), optional)  # type: ignore[attr-defined]
    elif kind == "string":
        assert isinstance(value, str), f"{where}{path}: expected a string, got {value!r}"
        if shape.enum:
            assert value in shape.enum, f"{where}{path}: {value!r} not in {shape.enum}"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}{path}: expected a boolean"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}{path}: expected an integer"
    elif kind == "timestamp":
        assert isinstance(value, datetime) and value.tzinfo is not None, (
            f"{where}{path}: expected aware datetime"
        )
    else:
        raise AssertionError(f"{where}{path}: unchecked shape type {kind}")
