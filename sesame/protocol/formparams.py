"""Query-protocol form fields back into the nested parameters of an input shape.

The exact inverse of botocore's ``QuerySerializer``: structure members join with ``.``
(``Destination.ToAddresses``), lists number their elements from 1 under ``member`` (or the
member's ``locationName``) unless flattened, maps number ``entry.N.key`` / ``entry.N.value``
(or the key and value ``locationName``), and an empty list travels as the bare name with an
empty value. Fields the shape does not name are ignored, as AWS ignores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import Shape

from sesame.protocol.models import member_wire_name
from sesame.protocol.scalars import ScalarError, parse_text_scalar
from sesame.protocol.validate import element_path, map_value_path, member_path, type_mismatch


class _Node:
    """One dotted name: ``value`` if the name itself was sent, ``children`` for longer names."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}


def _tree(fields: Mapping[str, str]) -> _Node:
    root = _Node()
    for name, value in fields.items():
        node = root
        for part in name.split("."):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node()
            node = child
        node.value = value
    return root


def decode_form(shape: Shape, fields: Mapping[str, str]) -> dict[str, Any]:
    """The parameters of input ``shape`` carried by the flat form ``fields``."""
    return _structure(shape, _tree(fields), "")


def _structure(shape: Shape, node: _Node, path: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = member_wire_name(member, name)
        if member.type_name == "list" and member.serialization.get("flattened"):
            # A flattened list's elements take the element's locationName in place of the
            # member's own name, exactly as the serializer rewrites the last name part.
            key = member_wire_name(member.member, key)
        child = node.children.get(key)
        if child is None:
            continue
        value = _value(member, child, member_path(path, name))
        if value is not None:
            result[name] = value
    return result


def _value(shape: Shape, node: _Node, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, node, path)
    if kind == "list":
        return _list(shape, node, path)
    if kind == "map":
        return _map(shape, node, path)
    if node.value is None:
        return None  # only longer names under a scalar's name: nothing for the scalar itself
    try:
        return parse_text_scalar(kind, node.value)
    except ScalarError as exc:
        raise type_mismatch(path, node.value, shape, exc.kind) from None


def _indexed(node: _Node) -> list[_Node]:
    """The numbered children (``.1``, ``.2`` ...) in numeric order; other names are ignored."""
    numbered = [(int(key), child) for key, child in node.children.items() if key.isdigit() and int(key) > 0]
    numbered.sort(key=lambda pair: pair[0])
    return [child for _, child in numbered]


def _list(shape: Shape, node: _Node, path: str) -> list[Any]:
    if shape.serialization.get("flattened"):
        items: _Node | None = node
    else:
        items = node.children.get(member_wire_name(shape.member, "member"))
    if items is None:
        return []  # ``Name=`` is how the serializer sends an empty list
    return [_value(shape.member, child, element_path(path, i)) for i, child in enumerate(_indexed(items), 1)]


def _map(shape: Shape, node: _Node, path: str) -> dict[Any, Any]:
    entries = node if shape.serialization.get("flattened") else node.children.get("entry")
    if entries is None:
        return {}
    key_name = member_wire_name(shape.key, "key")
    value_name = member_wire_name(shape.value, "value")
    result: dict[Any, Any] = {}
    for entry in _indexed(entries):
        key_node = entry.children.get(key_name)
        if key_node is None or key_node.value is None:
            continue
        key = _value(shape.key, key_node, path)
        value_node = entry.children.get(value_name)
        result[key] = (
            None if value_node is None else _value(shape.value, value_node, map_value_path(path, key))
        )
    return result
