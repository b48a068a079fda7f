"""Mail that Sesame itself sends on an account's behalf: address-verification messages and
forwarded feedback (bounce and complaint reports).

It skips the customer-facing checks (the sender is Sesame, not an identity of the account) and
the quota, but takes the same queue, worker, transport and relay as customer mail. Reports go
out with the null reverse-path (MAIL FROM:<>), as RFC 3464 requires of delivery status
notifications, so they can never bounce back into a loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate

from sesame.domain.sending.message_ids import message_id_header, new_message_id
from sesame.domain.sending.model import ApiSource, QueuedMessage
from sesame.domain.sending.ports import DeliveryQueue, DeliveryTask

log = logging.getLogger("sesame.verification")


class SystemMail:
    def __init__(
        self,
        queue: DeliveryQueue,
        *,
        mail_host_name: str,
        region: str,
        clock: Callable[[], float],
        log_links: bool = False,
    ) -> None:
        self._queue = queue
        self._log_links = log_links
        self._host = mail_host_name
        self._region = region
        self._clock = clock

    @property
    def sender_address(self) -> str:
        return f"no-reply@{self._host}"

    def send_verification(self, account_id: str, address: str, link: str) -> None:
        if self._log_links:
            # Local mode: the link is also in the log, for addresses whose mail cannot be read.
            log.info("verification link for %s: %s", address, link)
        now = self._clock()
        message_id = new_message_id(now)
        mail = EmailMessage()
        mail["From"] = self.sender_address
        mail["To"] = address
        mail["Subject"] = f"Sesame Email Address Verification Request in region {self._region}"
        mail["Message-ID"] = message_id_header(message_id, f"{self._region}.{self._host}")
        mail["Date"] = formatdate(now, usegmt=True)
        mail.set_content(
            "Dear Sesame customer,\n\n"
            f"We have received a request to authorize this email address for use with Sesame in "
            f"region {self._region}. If you requested this verification, go to the following URL "
            "to confirm that you are authorized to use this email address:\n\n"
            f"{link}\n\n"
            "Your request will not be processed unless you confirm the address using this URL. "
            "This link expires 24 hours after your original verification request.\n\n"
            "If you did not request to verify this email address, do not click on the link.\n"
        )
        self._enqueue(account_id, message_id, now, mail.as_bytes(), to=address, mail_from="")

    def send_feedback(self, account_id: str, to_address: str, dsn_bytes: bytes) -> None:
        self.send_report(account_id, to_address, dsn_bytes)

    def send_report(self, account_id: str, to_address: str, report: bytes) -> str:
        """Queue a report for ``to_address`` from the null reverse path; its message id."""
        now = self._clock()
        message_id = new_message_id(now)
        self._enqueue(account_id, message_id, now, report, to=to_address, mail_from="")
        return message_id

    def _enqueue(
        self, account_id: str, message_id: str, now: float, raw: bytes, *, to: str, mail_from: str
    ) -> None:
        message = QueuedMessage(
            message_id=message_id,
            account_id=account_id,
            source=self.sender_address,
            mail_from=mail_from,
            destinations=(to,),
            sending_identity=self._host,
            created_at=now,
            api=ApiSource.INTERNAL,
            raw=raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
        )
        self._queue.enqueue(DeliveryTask(message=message, recipients=message.destinations))
