"""The Send event of an accepted message, on the internal event stream."""

from __future__ import annotations

from sesame.domain.sending.event_ports import EventPublisher
from sesame.domain.sending.events import MessageHeaders, reject_event, send_event
from sesame.domain.sending.mime import headers_for_events
from sesame.domain.sending.model import QueuedMessage


def message_headers(raw: bytes, message_id: str) -> MessageHeaders:
    headers, common, truncated = headers_for_events(raw, message_id=message_id)
    return MessageHeaders(headers=headers, common_headers=dict(common), truncated=truncated)


class PublishedSendEvents:
    def __init__(self, publisher: EventPublisher, *, region: str) -> None:
        self._publisher = publisher
        self._region = region

    def sent(self, message: QueuedMessage) -> None:
        headers = message_headers(message.raw, message.message_id) if message.raw is not None else None
        self._publisher.publish(send_event(message, region=self._region, headers=headers))

    def rejected(self, message: QueuedMessage) -> None:
        headers = message_headers(message.raw, message.message_id) if message.raw is not None else None
        self._publisher.publish(reject_event(message, region=self._region, headers=headers))
