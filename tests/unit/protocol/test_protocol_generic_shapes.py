"""Model features SES's own models do not use yet (flattened lists and maps, locationNames,
greedy and query-literal routes), checked on a small hand-written model against botocore."""

from __future__ import annotations

from typing import Any

from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from sesame.protocol.formparams import decode_form
from sesame.protocol.query import request_fields
from sesame.protocol.routes import Router, parse_template
from sesame.protocol.xmlout import write_structure
from tests.unit.protocol.protocol_helpers import to_http

_MODEL = {
    "metadata": {"protocol": "query", "apiVersion": "2020-01-01", "xmlNamespace": "urn:test"},
    "operations": {
        "Do": {
            "name": "Do",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "DoInput"},
            "output": {"shape": "DoOutput", "resultWrapper": "DoResult"},
        }
    },
    "shapes": {
        "DoInput": {
            "type": "structure",
            "members": {
                "Flat": {"shape": "FlatList"},
                "FlatNamed": {"shape": "FlatNamedList"},
                "Named": {"shape": "NamedList", "locationName": "Renamed"},
                "Attrs": {"shape": "NamedMap"},
                "FlatAttrs": {"shape": "FlatMap"},
            },
        },
        "DoOutput": {
            "type": "structure",
            "members": {
                "Flat": {"shape": "FlatList"},
                "FlatNamed": {"shape": "FlatNamedList"},
                "Named": {"shape": "NamedList", "locationName": "Renamed"},
                "Attrs": {"shape": "NamedMap"},
                "FlatAttrs": {"shape": "FlatMap"},
            },
        },
        "Text": {"type": "string"},
        "FlatList": {"type": "list", "member": {"shape": "Text"}, "flattened": True},
        "FlatNamedList": {
            "type": "list",
            "member": {"shape": "Text", "locationName": "Item"},
            "flattened": True,
        },
        "NamedList": {"type": "list", "member": {"shape": "Text", "locationName": "Elem"}},
        "NamedMap": {
            "type": "map",
            "key": {"shape": "Text", "locationName": "Name"},
            "value": {"shape": "Text", "locationName": "Val"},
        },
        "FlatMap": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Text"}, "flattened": True},
    },
}
_OPERATION = ServiceModel(_MODEL, "test").operation_model("Do")
_VALUE: dict[str, Any] = {
    "Flat": ["a", "b"],
    "FlatNamed": ["c"],
    "Named": ["d", "e"],
    "Attrs": {"k1": "v1", "k2": "v2"},
    "FlatAttrs": {"x": "y"},
}


def test_given_flattened_and_renamed_members_when_botocore_serializes_them_then_decoding_inverts_it() -> None:
    request_dict = create_serializer("query").serialize_to_request(_VALUE, _OPERATION)
    prepare_request_dict(request_dict, endpoint_url="https://example.com")
    fields = request_fields(to_http(create_request_object(request_dict)))

    assert "FlatNamed.Item.1" not in fields and "Item.1" in fields  # the serializer's renaming rule
    assert decode_form(_OPERATION.input_shape, fields) == _VALUE


def test_given_flattened_and_renamed_members_when_written_as_xml_then_botocore_reads_them_back() -> None:
    parts = ['<DoResponse xmlns="urn:test"><DoResult>']
    write_structure(_OPERATION.output_shape, _VALUE, parts, "Do")
    parts.append("</DoResult></DoResponse>")
    body = "".join(parts).encode()

    parsed = create_parser("query").parse(
        {"status_code": 200, "headers": {}, "body": body}, _OPERATION.output_shape
    )

    assert {key: value for key, value in parsed.items() if key != "ResponseMetadata"} == _VALUE
    assert b"<Renamed><Elem>d</Elem>" in body
    assert b"<entry><Name>k1</Name><Val>v1</Val></entry>" in body


def operation_for(router: Router, path: str, query: dict[str, list[str]] | None = None) -> str | None:
    found = router.match("GET", path, query or {})
    return None if found is None else found.operation


def test_given_a_greedy_label_when_routed_then_it_takes_the_rest_of_the_path_decoded() -> None:
    router = Router([parse_template("GET", "GetObject", "/files/{Key+}")])

    found = router.match("GET", "/files/a/b%20c/d", {})

    assert found is not None
    assert (found.operation, found.labels) == ("GetObject", {"Key": "a/b c/d"})


def test_given_a_template_with_a_query_literal_when_routed_then_the_parameter_must_be_present() -> None:
    router = Router(
        [
            parse_template("GET", "Plain", "/things/{Id}"),
            parse_template("GET", "Versions", "/things/{Id}?versions"),
        ]
    )

    assert operation_for(router, "/things/1") == "Plain"
    assert operation_for(router, "/things/1", {"versions": [""]}) == "Versions"


def test_given_literal_and_label_routes_of_one_length_when_routed_then_the_literal_wins() -> None:
    router = Router(
        [parse_template("GET", "ByName", "/a/{Name}"), parse_template("GET", "Special", "/a/special")]
    )

    assert operation_for(router, "/a/special") == "Special"
    assert operation_for(router, "/a/other") == "ByName"
    assert operation_for(router, "/a") is None
