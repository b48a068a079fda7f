"""Local mode's receiving: the MX on --mx-port (STARTTLS with a certificate made at start) and
the receipt worker polling the receipt queue, both running the production code."""

from __future__ import annotations

from dataclasses import dataclass

from sesame.adapters.aws import AwsClients
from sesame.adapters.receiving_wiring import (
    make_acceptance,
    make_mx_policy,
    make_receipt_processor,
    make_receipt_queue,
)
from sesame.adapters.sending_wiring import make_feedback_loop
from sesame.local.queue_poller import QueuePoller
from sesame.services import Services
from sesame.settings import Settings
from sesame.smtp.mx import MxServer
from sesame.smtp.tls import local_context
from sesame.workers.receiving import handle_sqs_batch


@dataclass
class LocalReceiving:
    mx: MxServer
    worker: QueuePoller

    def stop(self) -> None:
        """The MX stops taking mail first; the worker then finishes the batch in hand."""
        self.mx.stop()
        self.worker.stop()


def start_receiving(
    settings: Settings, aws: AwsClients, services: Services, *, host: str, port: int
) -> LocalReceiving:
    tls, _ = local_context(host, settings.mail_host_name)
    feedback = make_feedback_loop(
        settings,
        aws,
        identities=services.identities,
        suppression=services.suppression,
        statistics=services.statistics,
        feedback_mailer=services.system_mail,
    )
    mx = MxServer(
        host=host,
        port=port,
        policy=make_mx_policy(settings, aws, identities=services.identities, feedback_address=feedback.takes),
        acceptance=make_acceptance(settings, aws),
        tls_context=tls,
        host_name=settings.mail_host_name,
        feedback=feedback.process,
    )
    queue = make_receipt_queue(settings, aws)
    processor = make_receipt_processor(settings, aws, bounces=services.system_mail)
    assert settings.receiving_queue_url is not None
    worker = QueuePoller(
        "receipt-worker",
        sqs=aws.client("sqs"),
        queue_url=settings.receiving_queue_url,
        handler=lambda event: handle_sqs_batch(processor, queue, event),
        # Received mail is not waited on as sent mail is; an idle worker polls less often.
        idle_sleep=0.1,
    )
    mx.start()
    worker.start()
    return LocalReceiving(mx=mx, worker=worker)
