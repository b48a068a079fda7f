"""`sesame local`: the production handlers in one process, against an embedded AWS emulation.

The process talks to the emulation in-process (moto's mock, several times faster than HTTP) and
also exposes the same state over HTTP on --aws-port so users can look inside with any AWS tool.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from sesame.adapters.aws import AwsClients
from sesame.api.app import ApiApp
from sesame.local.http_server import ApiServer
from sesame.local.options import LocalOptions
from sesame.local.provision import provision
from sesame.local.queue_poller import QueuePoller
from sesame.local.receiving import LocalReceiving, start_receiving
from sesame.local.scheduler import Periodic
from sesame.services import Services, build_delivery, build_services
from sesame.settings import DEFAULT_RECEIVING_BLOCK_LIST, Settings
from sesame.smtp.server import SubmissionServer, build_submission_server
from sesame.smtp.settings import SmtpSettings
from sesame.smtp.tls import local_context
from sesame.workers.delivery import handle_sqs_batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoints:
    api_url: str
    aws_url: str
    submission: str = ""  # HOST:PORT, STARTTLS
    smtps: str = ""  # HOST:PORT, implicit TLS
    mx: str = ""  # HOST:PORT, the inbound MX


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):  # noqa: S104 (a listener may bind all; links need one address)
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class LocalSesame:
    def __init__(self, options: LocalOptions) -> None:
        self.options = options
        self._stopped = threading.Event()
        self._mock: object | None = None
        self._moto_server: object | None = None
        self._api: ApiServer | None = None
        self._submission: SubmissionServer | None = None
        self._receiving: LocalReceiving | None = None
        self._jobs: list[Periodic] = []
        self._pollers: list[QueuePoller] = []
        self.services: Services | None = None
        self.endpoints: Endpoints | None = None

    def start(self) -> Endpoints:
        from moto import mock_aws
        from moto.server import ThreadedMotoServer

        from sesame.local.emulation_atomicity import serialize_dynamodb_requests

        opts = self.options
        serialize_dynamodb_requests()
        mock = mock_aws()
        mock.start()
        self._mock = mock
        moto_server = ThreadedMotoServer(ip_address=opts.host, port=opts.aws_port, verbose=False)
        moto_server.start()
        self._moto_server = moto_server
        aws_port = moto_server.get_host_and_port()[1]

        api = ApiServer(opts.host, opts.api_port)
        self._api = api
        host = _url_host(opts.host)
        endpoints = Endpoints(api_url=f"http://{host}:{api.port}", aws_url=f"http://{host}:{aws_port}")

        base = Settings(
            region=opts.region,
            public_base_url=endpoints.api_url,
            dns_server=opts.dns,
            check_interval=opts.check_interval,
            mail_from_mx_host=f"feedback-smtp.{opts.region}.sesame.test",
            relay=opts.relay,
            retry_base=opts.retry_base,
            receiving_retry_base=opts.retry_base,
            lambda_functions=dict(opts.lambda_functions),
            receiving_block_list=(
                DEFAULT_RECEIVING_BLOCK_LIST
                if opts.receiving_block_list is None
                else opts.receiving_block_list
            ),
            mail_host_name="sesame.localhost",
            log_verification_links=True,
            bootstrap_access_key_id=opts.access_key_id,
            bootstrap_secret_access_key=opts.secret_access_key,
        )
        aws = AwsClients(base)
        settings = provision(aws, base)
        services = build_services(settings, aws)
        services.accounts.ensure_bootstrap(
            settings.bootstrap_account_id,
            opts.access_key_id,
            opts.secret_access_key,
            production=opts.production,
            max_send_rate=opts.max_send_rate,
            max_24_hour_send=opts.max_24_hour_send,
        )
        self.services = services
        api.start(ApiApp(services))
        checker = Periodic("identity-checker", opts.check_interval, services.identities.check_pending)
        checker.start()
        self._jobs.append(checker)
        delivery = build_delivery(settings, aws, services=services)
        assert settings.delivery_queue_url is not None
        poller = QueuePoller(
            "delivery-worker",
            sqs=aws.client("sqs"),
            queue_url=settings.delivery_queue_url,
            handler=lambda event: handle_sqs_batch(delivery, event),
        )
        poller.start()
        self._pollers.append(poller)
        tls, _ = local_context(opts.host, settings.mail_host_name)
        submission = build_submission_server(
            services,
            SmtpSettings(host=opts.host, submission_port=opts.submission_port, smtps_port=opts.smtps_port),
            tls,
        )
        self._submission = submission
        submission.start()
        endpoints = replace(
            endpoints,
            submission=f"{host}:{submission.submission_port}",
            smtps=f"{host}:{submission.smtps_port}",
        )
        receiving = start_receiving(settings, aws, services, host=opts.host, port=opts.mx_port)
        self._receiving = receiving
        endpoints = replace(endpoints, mx=f"{host}:{receiving.mx.port}")
        self.endpoints = endpoints
        return endpoints

    def ready_line(self) -> str:
        assert self.endpoints is not None and self.services is not None
        settings = self.services.settings
        return (
            f"sesame ready api={self.endpoints.api_url} aws={self.endpoints.aws_url} "
            f"submission={self.endpoints.submission} smtps={self.endpoints.smtps} mx={self.endpoints.mx} "
            f"region={settings.region} account={settings.bootstrap_account_id} "
            f"access_key_id={self.options.access_key_id}"
        )

    def stop(self) -> None:
        """Stop accepting, let work in flight finish, then drop the emulation."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._receiving is not None:
            self._receiving.stop()
        if self._submission is not None:
            self._submission.stop()
        if self._api is not None:
            self._api.stop()
        for poller in self._pollers:
            poller.stop()
        for job in self._jobs:
            job.stop()
        if self._moto_server is not None:
            self._moto_server.stop()  # type: ignore[attr-defined]
        if self._mock is not None:
            self._mock.stop()  # type: ignore[attr-defined]
