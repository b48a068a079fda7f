"""Helpers of the outbound delivery tests."""

from __future__ import annotations

import socket

from sesame.adapters.smtp_transport import SmtpOptions
from sesame.domain.sending.transport import Envelope

# Short timeouts: the servers are local, and the timeout tests should not take long.
OPTIONS = SmtpOptions(helo_name="sesame.test", connect_timeout=2.0, command_timeout=1.0, data_timeout=1.0)
MESSAGE = b"From: sender@example.test\r\nTo: rcpt@example.test\r\nSubject: Hello\r\n\r\nHello there.\r\n"


def envelope(
    *recipients: str,
    require_tls: bool = False,
    message: bytes = MESSAGE,
    mail_from: str = "bounce@sesame.test",
) -> Envelope:
    return Envelope(
        message_id="0100000000000000-00000000-0000-0000-0000-000000000000-000000",
        mail_from=mail_from,
        recipients=recipients,
        message=message,
        require_tls=require_tls,
    )


class SilentListener:
    """Accepts TCP connections (the kernel does) and never says a word: no greeting."""

    def __init__(self, host: str, port: int) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, port))
        self._socket.listen(8)

    def close(self) -> None:
        self._socket.close()


def unused_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
