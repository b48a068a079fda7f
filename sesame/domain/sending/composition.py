"""From a send request to the bytes to send and the facts the checks need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sesame.domain.sending.addresses import parse_address
from sesame.domain.sending.content import SimpleContent
from sesame.domain.sending.mime import build_simple, parse_raw


@dataclass(frozen=True)
class ComposedMessage:
    source: str  # the address the message is sent as (checked against identities)
    recipients: tuple[str, ...]  # envelope recipients, ASCII domains, without duplicates
    data: bytes  # unsigned RFC 5322 message
    configuration_set: str | None = None  # from the X-SES-CONFIGURATION-SET header
    tags: dict[str, list[str]] = field(default_factory=dict)  # from X-SES-MESSAGE-TAGS
    return_path: str | None = None  # from a Return-Path header
    source_arn: str | None = None
    from_arn: str | None = None
    return_path_arn: str | None = None


def _unique(addresses: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for address in addresses:
        seen.setdefault(address, None)
    return tuple(seen)


def compose_simple(
    content: SimpleContent,
    *,
    from_address: str,
    to: Sequence[str],
    cc: Sequence[str],
    bcc: Sequence[str],
    reply_to: Sequence[str],
    message_id: str,
    message_id_domain: str,
    now: float,
) -> ComposedMessage:
    source = parse_address(from_address)
    to_parsed = [parse_address(a) for a in to]
    cc_parsed = [parse_address(a) for a in cc]
    bcc_parsed = [parse_address(a) for a in bcc]
    reply_parsed = [parse_address(a) for a in reply_to]
    data = build_simple(
        content,
        from_address=source,
        to=to_parsed,
        cc=cc_parsed,
        reply_to=reply_parsed,
        message_id=message_id,
        message_id_domain=message_id_domain,
        now=now,
    )
    recipients = _unique([a.envelope for a in (*to_parsed, *cc_parsed, *bcc_parsed)])
    return ComposedMessage(source=source.envelope, recipients=recipients, data=data)


def compose_raw(
    raw: bytes,
    *,
    source: str | None,
    destinations: Sequence[str],
    message_id: str,
    message_id_domain: str,
    now: float,
) -> ComposedMessage:
    parsed = parse_raw(
        raw,
        message_id=message_id,
        message_id_domain=message_id_domain,
        now=now,
        destinations=list(destinations) or None,
    )
    # A Source parameter, when given, is the identity that sends; else the From header.
    sender = parse_address(source) if source else parsed.source
    return ComposedMessage(
        source=sender.envelope,
        recipients=parsed.destinations,
        data=parsed.data,
        configuration_set=parsed.configuration_set,
        tags=parsed.tags,
        return_path=parsed.return_path.envelope if parsed.return_path else None,
        source_arn=parsed.source_arn,
        from_arn=parsed.from_arn,
        return_path_arn=parsed.return_path_arn,
    )
