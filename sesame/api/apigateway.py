"""Translation between API Gateway HTTP API events (payload format 2.0) and HttpRequest/Response."""

from __future__ import annotations

import base64
from typing import Any

from sesame.protocol.http import HttpRequest, HttpResponse

_TEXT_TYPES = ("text/", "application/json", "application/xml")


def request_from_event(event: dict[str, Any]) -> HttpRequest:
    http = event.get("requestContext", {}).get("http", {})
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
    # Payload 2.0 already joins repeated headers with commas and lower-cases their names.
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    return HttpRequest(
        method=http.get("method", "GET"),
        path=event.get("rawPath", "/"),
        query_string=event.get("rawQueryString", ""),
        headers=headers,
        body=raw,
        source_ip=http.get("sourceIp", ""),
    )


def response_to_result(response: HttpResponse) -> dict[str, Any]:
    content_type = response.headers.get("content-type", "")
    if content_type.startswith(_TEXT_TYPES) or not response.body:
        return {
            "statusCode": response.status,
            "headers": response.headers,
            "body": response.body.decode("utf-8"),
            "isBase64Encoded": False,
        }
    return {
        "statusCode": response.status,
        "headers": response.headers,
        "body": base64.b64encode(response.body).decode("ascii"),
        "isBase64Encoded": True,
    }
