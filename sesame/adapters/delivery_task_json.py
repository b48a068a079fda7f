"""The JSON body of a delivery queue message, both ways.

Message bytes travel base64-encoded inline, or as a key of the spool bucket when the body would
not fit in a queue message. The format carries a version so a queue drained across an upgrade
is still read.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sesame.domain.sending.model import ApiSource, QueuedMessage
from sesame.domain.sending.ports import DeliveryTask

FORMAT_VERSION = 1


def task_to_json(task: DeliveryTask) -> str:
    m = task.message
    body: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "attempt": task.attempt,
        "not_before": task.not_before,
        "recipients": list(task.recipients),
        "message": {
            "message_id": m.message_id,
            "account_id": m.account_id,
            "source": m.source,
            "mail_from": m.mail_from,
            "destinations": list(m.destinations),
            "sending_identity": m.sending_identity,
            "created_at": m.created_at,
            "configuration_set": m.configuration_set,
            "tags": m.tags,
            "source_arn": m.source_arn,
            "from_arn": m.from_arn,
            "return_path_arn": m.return_path_arn,
            "return_path": m.return_path,
            "caller_identity": m.caller_identity,
            "source_ip": m.source_ip,
            "api": m.api.value,
            "raw": None if m.raw is None else base64.b64encode(m.raw).decode("ascii"),
            "spool_key": m.spool_key,
        },
    }
    return json.dumps(body, separators=(",", ":"))


def task_from_json(text: str) -> DeliveryTask:
    body = json.loads(text)
    if body.get("v") != FORMAT_VERSION:
        raise ValueError(f"unknown delivery task format {body.get('v')!r}")
    m = body["message"]
    message = QueuedMessage(
        message_id=m["message_id"],
        account_id=m["account_id"],
        source=m["source"],
        mail_from=m["mail_from"],
        destinations=tuple(m["destinations"]),
        sending_identity=m["sending_identity"],
        created_at=float(m["created_at"]),
        configuration_set=m.get("configuration_set"),
        tags={k: list(v) for k, v in (m.get("tags") or {}).items()},
        source_arn=m.get("source_arn"),
        from_arn=m.get("from_arn"),
        return_path_arn=m.get("return_path_arn"),
        return_path=m.get("return_path"),
        caller_identity=m.get("caller_identity", ""),
        source_ip=m.get("source_ip", ""),
        api=ApiSource(m.get("api", ApiSource.API_V2.value)),
        raw=None if m.get("raw") is None else base64.b64decode(m["raw"]),
        spool_key=m.get("spool_key"),
    )
    return DeliveryTask(
        message=message,
        recipients=tuple(body["recipients"]),
        attempt=int(body["attempt"]),
        not_before=float(body.get("not_before", 0.0)),
    )
