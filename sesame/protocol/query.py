"""SES v1's wire protocol: AWS Query (form-encoded ``Action=...`` requests, XML responses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

from sesame.domain import errors
from sesame.protocol.formparams import decode_form
from sesame.protocol.http import HttpRequest, HttpResponse
from sesame.protocol.models import (
    OutputShapeError,
    ServiceName,
    error_index,
    operation_model,
    operation_names,
    service_model,
)
from sesame.protocol.validate import validate
from sesame.protocol.wire import ApiCall
from sesame.protocol.xmlout import escape_text, write_structure

SERVICE: Final[ServiceName] = "ses"
API_VERSION = "2010-12-01"
XML_NAMESPACE = "http://ses.amazonaws.com/doc/2010-12-01/"
_FORM_TYPE = "application/x-www-form-urlencoded"


def _pairs(text: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise errors.MalformedRequest("The request's parameters are not valid UTF-8 form encoding.") from None


def request_fields(request: HttpRequest) -> dict[str, str]:
    """Every parameter of the request: the query string (GET, and presigned POSTs) and a
    form-encoded body, the body winning. The first of repeated names wins within each."""
    fields: dict[str, str] = {}
    for name, value in _pairs(request.query_string):
        fields.setdefault(name, value)
    content_type = request.header("content-type").split(";", 1)[0].strip().lower()
    if request.body and content_type in ("", _FORM_TYPE):
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.MalformedRequest("The request body is not valid UTF-8.") from None
        body_fields: dict[str, str] = {}
        for name, value in _pairs(body):
            body_fields.setdefault(name, value)
        fields.update(body_fields)
    return fields


def _operation(fields: Mapping[str, str]) -> str:
    action = fields.get("Action")
    if not action:
        raise errors.InvalidAction("The request must contain the parameter Action.")
    if action not in operation_names(SERVICE):
        raise errors.InvalidAction(f"The action {action} is not valid for this web service.")
    version = fields.get("Version")
    if version is not None and version != API_VERSION:
        raise errors.InvalidAction(f"Could not find operation {action} for version {version}")
    return action


class QueryProtocol:
    """Implements ``WireProtocol`` for SES v1 (``POST /`` with ``Action=SendEmail&...``)."""

    version: int = 1

    def operation_name(self, request: HttpRequest) -> str:
        return _operation(request_fields(request))

    def parse(self, request: HttpRequest) -> ApiCall:
        fields = request_fields(request)
        operation = _operation(fields)
        shape = operation_model(SERVICE, operation).input_shape
        params = decode_form(shape, fields) if shape is not None else {}
        validate(shape, params)
        return ApiCall(version=1, operation=operation, params=params)

    def serialize(self, operation: str, output: Mapping[str, Any], request_id: str) -> HttpResponse:
        shape = operation_model(SERVICE, operation).output_shape
        parts = [f'<{operation}Response xmlns="{XML_NAMESPACE}">']
        if shape is None:
            if output:
                raise OutputShapeError(f"{operation} has no output, got {sorted(output)}")
        else:
            # botocore looks the result up by its wrapper element, so it is written even when empty.
            wrapper = shape.serialization.get("resultWrapper")
            if wrapper:
                parts.append(f"<{wrapper}>")
            write_structure(shape, output, parts, operation)
            if wrapper:
                parts.append(f"</{wrapper}>")
        parts.append(_metadata(request_id))
        parts.append(f"</{operation}Response>")
        return _xml_response(200, parts, request_id)

    def serialize_error(self, error: errors.SesError, request_id: str) -> HttpResponse:
        code = error.wire_code(1)
        modeled = error_index(SERVICE).get(code)
        status = modeled.status if modeled else error.status
        sender = modeled.sender_fault if modeled else error.sender_fault
        parts = [
            f'<ErrorResponse xmlns="{XML_NAMESPACE}"><Error>',
            f"<Type>{'Sender' if sender else 'Receiver'}</Type>",
            f"<Code>{escape_text(code)}</Code>",
            f"<Message>{escape_text(error.message)}</Message>",
            f"</Error><RequestId>{escape_text(request_id)}</RequestId></ErrorResponse>",
        ]
        return _xml_response(status, parts, request_id)


def _metadata(request_id: str) -> str:
    return f"<ResponseMetadata><RequestId>{escape_text(request_id)}</RequestId></ResponseMetadata>"


def _xml_response(status: int, parts: list[str], request_id: str) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers={"Content-Type": "text/xml", "x-amzn-RequestId": request_id},
        body="".join(parts).encode("utf-8"),
    )


def warm() -> None:
    """Load the model ahead of the first request (for cold-start measurements and pre-warming)."""
    service_model(SERVICE)
