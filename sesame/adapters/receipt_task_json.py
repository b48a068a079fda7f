"""The JSON body of a receipt queue message, both ways. It carries a format version so a queue
drained across an upgrade is still read; the rules travel in their v1 wire shape."""

from __future__ import annotations

import json
from typing import Any

from sesame.domain.receiving.inbound import InboundEnvelope, ReceiptTask
from sesame.domain.receiving.rule_model import rule_from_wire, rule_to_wire

FORMAT_VERSION = 1


def task_to_json(task: ReceiptTask) -> str:
    e = task.envelope
    body: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "envelope": {
            "message_id": e.message_id,
            "received_at": e.received_at,
            "mail_from": e.mail_from,
            "helo": e.helo,
            "remote_ip": e.remote_ip,
            "tls": e.tls,
            "object_key": e.object_key,
            "size": e.size,
        },
        "account_id": task.account_id,
        "recipients": list(task.recipients),
        "rule_set": task.rule_set,
        "rules": [rule_to_wire(rule) for rule in task.rules],
        "attempt": task.attempt,
        "not_before": task.not_before,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def task_from_json(text: str) -> ReceiptTask:
    body = json.loads(text)
    if body.get("v") != FORMAT_VERSION:
        raise ValueError(f"unknown receipt task format {body.get('v')!r}")
    e = body["envelope"]
    return ReceiptTask(
        envelope=InboundEnvelope(
            message_id=str(e["message_id"]),
            received_at=float(e["received_at"]),
            mail_from=str(e["mail_from"]),
            helo=str(e["helo"]),
            remote_ip=str(e["remote_ip"]),
            tls=bool(e["tls"]),
            object_key=str(e["object_key"]),
            size=int(e["size"]),
        ),
        account_id=str(body["account_id"]),
        recipients=tuple(str(r) for r in body["recipients"]),
        rule_set=str(body["rule_set"]),
        rules=tuple(rule_from_wire(rule) for rule in body["rules"]),
        attempt=int(body.get("attempt", 1)),
        not_before=float(body.get("not_before", 0.0)),
    )
