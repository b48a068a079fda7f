"""A handler's output written as Query-protocol XML, member by member from the output shape.

The mirror of botocore's ``QueryParser``: members in model order under their ``locationName``,
lists as ``<member>`` elements (or repeated bare elements when flattened), maps as
``<entry><key/><value/></entry>``, timestamps ISO 8601, booleans lower-case, blobs base64.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from botocore.model import Shape

from sesame.protocol.models import OutputShapeError, member_wire_name
from sesame.protocol.scalars import output_scalar

# Characters XML 1.0 cannot carry even as references; replaced so the response still parses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape_text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A literal CR would be folded into LF by every XML parser; a reference keeps it.
    text = text.replace("\r", "&#xD;")
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("\ufffd", text)
    return text


def write_structure(shape: Shape, value: Mapping[str, Any], parts: list[str], where: str) -> None:
    """Append the XML of ``value``'s members (not the structure's own element) to ``parts``."""
    if not isinstance(value, Mapping):
        raise OutputShapeError(f"{where}: expected a mapping for {shape.name}, got {type(value).__name__}")
    members = shape.members
    unknown = [key for key in value if key not in members]
    if unknown:
        raise OutputShapeError(f"{where}: {shape.name} has no member(s) {', '.join(map(str, unknown))}")
    for name, member in members.items():
        item = value.get(name)
        if item is not None:
            _write_member(member, member_wire_name(member, name), item, parts, f"{where}.{name}")


def _write_member(shape: Shape, tag: str, value: Any, parts: list[str], where: str) -> None:
    flattened = shape.serialization.get("flattened")
    if flattened and shape.type_name == "list":
        element_tag = member_wire_name(shape.member, tag)
        for index, item in enumerate(_sequence(value, where)):
            _write_element(shape.member, element_tag, item, parts, f"{where}[{index}]")
    elif flattened and shape.type_name == "map":
        for key, item in _mapping(value, where).items():
            parts.append(f"<{tag}>")
            _write_entry(shape, key, item, parts, where)
            parts.append(f"</{tag}>")
    else:
        _write_element(shape, tag, value, parts, where)


def _write_element(shape: Shape, tag: str, value: Any, parts: list[str], where: str) -> None:
    if value is None:
        raise OutputShapeError(f"{where}: null inside a list or map")
    parts.append(f"<{tag}>")
    kind = shape.type_name
    if kind == "structure":
        write_structure(shape, value, parts, where)
    elif kind == "list":
        element_tag = member_wire_name(shape.member, "member")
        for index, item in enumerate(_sequence(value, where)):
            _write_element(shape.member, element_tag, item, parts, f"{where}[{index}]")
    elif kind == "map":
        for key, item in _mapping(value, where).items():
            parts.append("<entry>")
            _write_entry(shape, key, item, parts, where)
            parts.append("</entry>")
    else:
        parts.append(_scalar_text(shape, value, where))
    parts.append(f"</{tag}>")


def _write_entry(shape: Shape, key: Any, item: Any, parts: list[str], where: str) -> None:
    _write_element(shape.key, member_wire_name(shape.key, "key"), key, parts, f"{where}.<key>")
    _write_element(shape.value, member_wire_name(shape.value, "value"), item, parts, f"{where}[{key!r}]")


def _scalar_text(shape: Shape, value: Any, where: str) -> str:
    timestamp_format = shape.serialization.get("timestampFormat", "iso8601")
    try:
        wire = output_scalar(shape.type_name, value, timestamp_format)
    except TypeError as exc:
        raise OutputShapeError(f"{where}: {exc}") from None
    if isinstance(wire, bool):
        return "true" if wire else "false"
    if isinstance(wire, float):
        return repr(wire)
    return escape_text(str(wire))


def _sequence(value: Any, where: str) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise OutputShapeError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _mapping(value: Any, where: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise OutputShapeError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value
