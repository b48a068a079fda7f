"""SMTP submission: messages accepted per second over TLS, and the server's CPU per message.

The submission server runs in this process in front of the production services on the
in-process AWS emulation; the clients (smtplib, STARTTLS, AUTH PLAIN, 5 KB messages, one
connection each, kept open) run in a separate process, so the CPU time measured here is the
server's: the SMTP session and TLS, the send checks, the quota reservation and the queueing,
with the emulation's share included (as in the sending benchmark).
"""

from __future__ import annotations

import multiprocessing
import smtplib
import ssl
import time
from typing import Any

from benchmarks.harness import Figure, Options

CONNECTIONS = 4
WARM_UP_SECONDS = 1.0
ACCOUNT = "000000000001"
DOMAIN = "bench.test"
BODY = "This is a line of a five kilobyte message body, sent over SMTP.\r\n" * 78


def _message(number: int, client: int) -> bytes:
    head = f"From: news@{DOMAIN}\r\nTo: user{client}-{number}@inbox.test\r\nSubject: Message {number}\r\n\r\n"
    return (head + BODY).encode()


def _client(
    port: int, username: str, password: str, client: int, start: float, stop: float, results: Any
) -> None:
    """One connection: send until ``stop``; report the messages accepted in [start, stop)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    accepted = 0
    number = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.starttls(context=context)
        smtp.login(username, password)
        while time.time() < stop:
            number += 1
            smtp.sendmail(
                f"bounces@{DOMAIN}", [f"user{client}-{number}@inbox.test"], _message(number, client)
            )
            if time.time() >= start:
                accepted += 1
    results.put(accepted)


class _InstantSending:
    """A send that is accepted at once: what the SMTP layer costs on its own."""

    def send(self, request: Any) -> str:
        return "0100000000000000-00000000-0000-0000-0000-000000000000-000000"


def _measure(server: Any, username: str, password: str, duration: float) -> tuple[float, float]:
    """(messages per second, server CPU ms per message) with CONNECTIONS clients in another process."""
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    # The clients start at once; counting begins after their connections are warm.
    start = time.time() + 3.0 + WARM_UP_SECONDS
    stop = start + duration
    clients = [
        spawn.Process(
            target=_client, args=(server.submission_port, username, password, n, start, stop, results)
        )
        for n in range(CONNECTIONS)
    ]
    for process in clients:
        process.start()
    time.sleep(max(0.0, start - time.time()))
    cpu_started, wall_started = time.process_time(), time.time()
    time.sleep(max(0.0, stop - time.time()))
    cpu = time.process_time() - cpu_started
    wall = time.time() - wall_started
    accepted = sum(results.get(timeout=120) for _ in clients)
    for process in clients:
        process.join(timeout=60)
        assert process.exitcode == 0, f"an SMTP client failed ({process.exitcode})"
    assert accepted > 0
    return accepted / wall, cpu / accepted * 1000


def run(options: Options) -> list[Figure]:
    from moto import mock_aws

    from sesame.adapters.aws import AwsClients
    from sesame.domain.smtp_credentials import SmtpCredentialVerifier, smtp_password
    from sesame.local.emulation_atomicity import serialize_dynamodb_requests
    from sesame.local.provision import provision
    from sesame.services import build_services
    from sesame.settings import Settings
    from sesame.smtp.limits import AuthFailureThrottle
    from sesame.smtp.server import SubmissionServer, build_submission_server
    from sesame.smtp.settings import SmtpSettings
    from sesame.smtp.submission import SubmissionDesk
    from sesame.smtp.tls import local_context
    from tests.support.dns_server import DnsTestServer

    serialize_dynamodb_requests()
    with mock_aws(), DnsTestServer() as dns:
        base = Settings(dns_server=dns.address, dkim_signing_zone=None, mail_host_name="bench.local")
        aws = AwsClients(base)
        settings = provision(aws, base)
        services = build_services(settings, aws)
        services.accounts.create_account(ACCOUNT, production=True)
        services.accounts.set_quotas(ACCOUNT, max_send_rate=1e6, max_24_hour_send=1e8)
        key, secret = services.accounts.create_access_key(ACCOUNT)
        dns.set(f"_amazonses.{DOMAIN}", "TXT", services.identities.verify_domain(ACCOUNT, DOMAIN))
        assert services.identities.check_now(ACCOUNT, DOMAIN).verified_for_sending
        tls, _ = local_context("127.0.0.1", "bench.local")
        password = smtp_password(secret, settings.region)
        smtp_settings = SmtpSettings(host="127.0.0.1", submission_port=0, smtps_port=0)
        server = build_submission_server(services, smtp_settings, tls)
        server.start()
        try:
            rate, cpu_ms = _measure(server, key.access_key_id, password, options.duration)
        finally:
            server.stop()
        alone = SubmissionServer(
            SubmissionDesk(
                sending=_InstantSending(),
                verifier=SmtpCredentialVerifier(services.accounts, settings.region),
                throttle=AuthFailureThrottle(base=0.5, ceiling=30.0),
                workers=smtp_settings.send_workers,
            ),
            smtp_settings,
            tls,
            "bench.local",
        )
        alone.start()
        try:
            alone_rate, alone_cpu_ms = _measure(alone, key.access_key_id, password, options.duration)
        finally:
            alone.stop()
    note = f"{CONNECTIONS} authenticated STARTTLS connections, 5 KB messages, queued before 250"
    return [
        Figure("smtp: submissions accepted", rate, "msg/s", note),
        Figure(
            "smtp: server CPU per message", cpu_ms, "ms", "SMTP, TLS, send path; emulation's share included"
        ),
        Figure("smtp: SMTP layer alone", alone_rate, "msg/s", "the same load, sends accepted at once"),
        Figure("smtp: SMTP layer CPU per message", alone_cpu_ms, "ms", "session, TLS, DATA reading"),
    ]
