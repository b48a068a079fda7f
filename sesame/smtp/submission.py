"""What the submission server asks of the domain: who a login is, and sending a message.

A message submitted over SMTP takes SendRawEmail's path: the same checks, quotas, suppression,
simulator, configuration set and tags (from X-SES-* headers), DKIM, events and MessageId. The
envelope recipients are the destinations (as Bcc: the headers stay as they are) and the MAIL
FROM address is where feedback is forwarded (the Return-Path); the From header names the
identity that must be verified. The answer is given only once the message is queued.

The domain's calls block (AWS requests), so they run on a thread pool, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sesame.domain.errors import SesError
from sesame.domain.sending.mime import MAX_V2_MESSAGE_BYTES
from sesame.domain.sending.model import ApiSource
from sesame.domain.sending.service import Sender, SendRequest
from sesame.domain.smtp_credentials import SmtpCredentialVerifier, SmtpPrincipal
from sesame.smtp import replies
from sesame.smtp.limits import AuthFailureThrottle

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = MAX_V2_MESSAGE_BYTES


class Sending(Protocol):
    """The sending service's entry point (SendingService.send)."""

    def send(self, request: SendRequest) -> str: ...


class SubmissionDesk:
    def __init__(
        self,
        *,
        sending: Sending,
        verifier: SmtpCredentialVerifier,
        throttle: AuthFailureThrottle,
        workers: int,
    ) -> None:
        self._sending = sending
        self._verifier = verifier
        self._throttle = throttle
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtp-submission")

    async def authenticate(self, username: bytes, password: bytes, address: str) -> SmtpPrincipal | None:
        """The principal, or None after the delay a failed login from ``address`` earns.
        Raises when the credentials could not be checked (the store did not answer)."""
        loop = asyncio.get_running_loop()
        principal = await loop.run_in_executor(self._executor, self._verifier.verify, username, password)
        if principal is None:
            delay = self._throttle.failed(address)
            log.info("SMTP login failed from %s; answering in %.1f s", address, delay)
            await asyncio.sleep(delay)
            return None
        self._throttle.succeeded(address)
        return principal

    async def submit(
        self,
        principal: SmtpPrincipal,
        address: str,
        mail_from: str,
        recipients: tuple[str, ...],
        content: bytes,
    ) -> str:
        """Send the message; the reply that tells the client how it went."""
        request = SendRequest(
            sender=Sender(
                account_id=principal.account_id,
                caller_identity=principal.access_key_id,
                source_ip=address,
                api=ApiSource.SMTP,
            ),
            raw=content,
            bcc=recipients,
            return_path=mail_from or None,
            max_bytes=MAX_MESSAGE_BYTES,
        )
        loop = asyncio.get_running_loop()
        try:
            message_id = await loop.run_in_executor(self._executor, self._sending.send, request)
        except SesError as error:
            return replies.reply_for(error)
        except Exception:
            log.exception("SMTP submission from %s failed", principal.access_key_id)
            return replies.SERVICE_FAILURE
        return replies.accepted(message_id)

    def close(self) -> None:
        """Wait for the sends in flight, then stop the threads."""
        self._executor.shutdown(wait=True)
