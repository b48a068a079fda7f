"""Easy DKIM's DNS, end to end: the customer's CNAMEs and the keys Sesame hosts behind them.

Sesame publishes each Easy DKIM public key as a TXT record in its Route 53 signing zone (in local
mode: the embedded AWS). The test DNS server then plays both parts of the real DNS: the
customer's zone (CNAME ``<token>._domainkey.<domain>`` -> ``<token>.<SigningHostedZone>``) and
Sesame's signing zone (the TXT records copied from Route 53), so a resolver asking for the key at
the customer's name follows the CNAME into the key as it would on the Internet.
"""

from __future__ import annotations

from typing import Any

from tests.support.dns_server import DnsTestServer


def route53_txt_strings(value: str) -> list[str]:
    """The character-strings of a Route 53 TXT value (``"a" "b"``, backslash escapes)."""
    strings: list[str] = []
    current: list[str] = []
    inside = escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif inside and char == "\\":
            escaped = True
        elif char == '"':
            if inside:
                strings.append("".join(current))
                current = []
            inside = not inside
        elif inside:
            current.append(char)
    assert not inside, f"unterminated TXT value: {value!r}"
    return strings


def signing_zone_txt(route53: Any, zone_name: str) -> dict[str, list[list[str]]]:
    """TXT records in the hosted zone called ``zone_name``: name -> values (as strings)."""
    wanted = zone_name.rstrip(".").lower() + "."
    zones = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"].lower() == wanted]
    assert len(zones) == 1, f"expected one hosted zone {wanted}, found {zones}"
    found: dict[str, list[list[str]]] = {}
    for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zones[0]["Id"]):
        for record_set in page["ResourceRecordSets"]:
            if record_set["Type"] == "TXT":
                name = record_set["Name"].rstrip(".").lower()
                found[name] = [route53_txt_strings(r["Value"]) for r in record_set["ResourceRecords"]]
    return found


def serve_signing_zone(dns_server: DnsTestServer, route53: Any, zone_name: str) -> dict[str, list[list[str]]]:
    """Copy the signing zone's TXT records from Route 53 into ``dns_server``; returns them."""
    records = signing_zone_txt(route53, zone_name)
    for name, values in records.items():
        dns_server.remove(name, "TXT")
        for strings in values:
            dns_server.add(name, "TXT", strings)
    return records


def publish_dkim_cnames(dns_server: DnsTestServer, domain: str, tokens: list[str], zone_name: str) -> None:
    """The three records the customer adds to their zone for Easy DKIM."""
    for token in tokens:
        dns_server.set(f"{token}._domainkey.{domain}", "CNAME", f"{token}.{zone_name.rstrip('.')}.")
