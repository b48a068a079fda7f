"""API Gateway payload 2.0 events become the raw request SigV4 needs, and back."""

from __future__ import annotations

import base64

from sesame.api.apigateway import request_from_event, response_to_result
from sesame.protocol.http import HttpResponse


def _event(**overrides):
    event = {
        "version": "2.0",
        "rawPath": "/v2/email/identities/user%40example.com",
        "rawQueryString": "PageSize=5&NextToken=a%2Bb",
        "headers": {"host": "abc.execute-api.us-east-1.amazonaws.com", "x-amz-date": "20261128T000000Z"},
        "requestContext": {"http": {"method": "GET", "sourceIp": "203.0.113.9"}},
        "isBase64Encoded": False,
    }
    event.update(overrides)
    return event


def test_raw_path_and_query_are_kept_percent_encoded() -> None:
    request = request_from_event(_event())
    assert request.path == "/v2/email/identities/user%40example.com"
    assert request.query_string == "PageSize=5&NextToken=a%2Bb"
    assert request.method == "GET" and request.source_ip == "203.0.113.9"
    assert request.header("Host") == "abc.execute-api.us-east-1.amazonaws.com"
    assert request.body == b""


def test_base64_bodies_are_decoded_to_the_bytes_that_were_signed() -> None:
    raw = "Action=SendRawEmail&RawMessage.Data=\u00e9".encode()
    request = request_from_event(_event(body=base64.b64encode(raw).decode(), isBase64Encoded=True))
    assert request.body == raw
    plain = request_from_event(_event(body="Action=ListIdentities"))
    assert plain.body == b"Action=ListIdentities"


def test_text_responses_stay_text_and_binary_ones_are_base64() -> None:
    xml = response_to_result(HttpResponse(200, {"content-type": "text/xml"}, b"<a/>"))
    assert xml == {
        "statusCode": 200,
        "headers": {"content-type": "text/xml"},
        "body": "<a/>",
        "isBase64Encoded": False,
    }
    png = response_to_result(HttpResponse(200, {"content-type": "image/gif"}, b"GIF89a\x00"))
    assert png["isBase64Encoded"] and base64.b64decode(png["body"]) == b"GIF89a\x00"
