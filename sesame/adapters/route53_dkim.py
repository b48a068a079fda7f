"""Route 53 implementation of the DkimKeyPublisher port: Easy DKIM public keys as TXT records
in Sesame's signing zone, behind the CNAMEs customers publish."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from sesame.domain.dkim import split_txt
from sesame.domain.identity_ports import DnsRecord

DEFAULT_TTL = 1800
# ChangeResourceRecordSets takes at most 1,000 changes per batch.
_BATCH = 1000


def txt_value(text: str) -> str:
    """Route 53's TXT value syntax: quoted character-strings of at most 255 characters, with
    quotes and backslashes escaped."""
    return " ".join('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"' for part in split_txt(text))


def txt_text(value: str) -> str:
    """The text a Route 53 TXT value stands for: its quoted strings unescaped and joined."""
    result: list[str] = []
    inside = False
    escaped = False
    for char in value:
        if escaped:
            result.append(char)
            escaped = False
        elif char == "\\" and inside:
            escaped = True
        elif char == '"':
            inside = not inside
        elif inside:
            result.append(char)
    return "".join(result)


def _fqdn(name: str) -> str:
    return name.rstrip(".").lower() + "."


class Route53DkimPublisher:
    def __init__(self, route53: Any, hosted_zone_id: str, *, ttl: int = DEFAULT_TTL) -> None:
        self._route53 = route53
        self._zone_id = hosted_zone_id
        self._ttl = ttl

    def _record_set(self, record: DnsRecord) -> dict[str, Any]:
        value = txt_value(record.value) if record.type == "TXT" else record.value
        return {
            "Name": _fqdn(record.name),
            "Type": record.type,
            "TTL": self._ttl,
            "ResourceRecords": [{"Value": value}],
        }

    def _change(self, changes: list[dict[str, Any]], comment: str) -> None:
        for start in range(0, len(changes), _BATCH):
            self._route53.change_resource_record_sets(
                HostedZoneId=self._zone_id,
                ChangeBatch={"Comment": comment, "Changes": changes[start : start + _BATCH]},
            )

    def publish(self, records: Sequence[DnsRecord]) -> None:
        # UPSERT: publishing again (a retried request, a rotated key) just replaces the value.
        changes = [{"Action": "UPSERT", "ResourceRecordSet": self._record_set(r)} for r in records]
        if changes:
            self._change(changes, "sesame: publish DKIM keys")

    def withdraw(self, records: Sequence[DnsRecord]) -> None:
        # Route 53 deletes only an exact match of what is there, and fails the whole batch for
        # one missing record; so delete what is there now, and only where it still holds our
        # value (the name may meanwhile carry a rotated key that must stay).
        for attempt in range(2):
            changes = []
            for record in records:
                current = self._current(record)
                if current is not None and self._holds(current, record):
                    changes.append({"Action": "DELETE", "ResourceRecordSet": current})
            if not changes:
                return
            try:
                self._change(changes, "sesame: withdraw DKIM keys")
                return
            except ClientError as error:
                # Changed between our read and the delete: read again, once.
                if error.response.get("Error", {}).get("Code") != "InvalidChangeBatch" or attempt:
                    raise

    def _current(self, record: DnsRecord) -> dict[str, Any] | None:
        answer = self._route53.list_resource_record_sets(
            HostedZoneId=self._zone_id,
            StartRecordName=_fqdn(record.name),
            StartRecordType=record.type,
            MaxItems="1",
        )
        for found in answer.get("ResourceRecordSets", []):
            if _fqdn(found["Name"]) == _fqdn(record.name) and found["Type"] == record.type:
                return dict(found)
        return None

    @staticmethod
    def _holds(current: dict[str, Any], record: DnsRecord) -> bool:
        values = [entry["Value"] for entry in current.get("ResourceRecords", [])]
        if record.type == "TXT":
            return any(txt_text(value) == record.value for value in values)
        return any(value.rstrip(".").lower() == record.value.rstrip(".").lower() for value in values)
