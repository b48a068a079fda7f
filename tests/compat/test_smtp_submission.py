"""The SES SMTP interface of a running `sesame local`, as SMTP clients use it: smtplib and swaks
over real sockets with STARTTLS and implicit TLS, messages relayed to a real SMTP sink and
DKIM-verified against the DNS the test serves, every refusal with SES's exact reply."""

from __future__ import annotations

import base64
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import dkim
import dns.resolver
import pytest

from sesame.domain.smtp_credentials import smtp_password
from tests.support.compat_clients import (
    aws_client,
    running_local,
    sdk_client,
    sesame_admin,
    sesame_admin_run,
    wait_for,
)
from tests.support.dns_server import DnsTestServer
from tests.support.event_stream import EventReader, subscribe_events
from tests.support.local_process import LocalProcess
from tests.support.signing_zone import publish_dkim_cnames, serve_signing_zone
from tests.support.smtp_sink import ReceivedMessage, SmtpSink

SENDER_DOMAIN = "sender.test"
RECIPIENT_DOMAIN = "inbox.test"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def local(dns_server: DnsTestServer, sink: SmtpSink) -> Iterator[LocalProcess]:
    with running_local(
        "--dns", dns_server.address,
        "--check-interval", "0.5",
        "--relay", sink.address,
        "--retry-base", "0.5",
        "--max-send-rate", "100",
        "--max-24-hour-send", "1000",
    ) as process:  # fmt: skip
        yield process


def _address(local: LocalProcess, listener: str) -> tuple[str, int]:
    host, _, port = local.ready[listener].rpartition(":")
    return host, int(port)


@pytest.fixture(scope="module")
def credentials(local: LocalProcess) -> tuple[str, str]:
    """The bootstrap key's SMTP user name and password, as the operator gets them."""
    answer = sesame_admin(local, "smtp-credentials", "--access-key-id", local.access_key_id)
    assert answer["smtp_password"] == smtp_password(local.secret_access_key, REGION)
    return answer["smtp_username"], answer["smtp_password"]


@pytest.fixture(scope="module")
def verified(local: LocalProcess, dns_server: DnsTestServer) -> None:
    """The sender domain verified with Easy DKIM, the recipient domain with its TXT token."""
    v1, v2 = sdk_client(local, "ses"), sdk_client(local, "sesv2")
    created = v2.create_email_identity(EmailIdentity=SENDER_DOMAIN)
    zone = created["DkimAttributes"]["SigningHostedZone"]
    serve_signing_zone(dns_server, aws_client(local, "route53"), zone)
    publish_dkim_cnames(dns_server, SENDER_DOMAIN, created["DkimAttributes"]["Tokens"], zone)
    token = v1.verify_domain_identity(Domain=RECIPIENT_DOMAIN)["VerificationToken"]
    dns_server.set(f"_amazonses.{RECIPIENT_DOMAIN}", "TXT", token)
    for domain in (SENDER_DOMAIN, RECIPIENT_DOMAIN):
        wait_for(
            lambda d=domain: v2.get_email_identity(EmailIdentity=d),
            lambda answer: answer["VerifiedForSendingStatus"],
        )
    wait_for(
        lambda: v2.get_email_identity(EmailIdentity=SENDER_DOMAIN)["DkimAttributes"]["Status"],
        lambda status: status == "SUCCESS",
    )


@pytest.fixture(scope="module")
def events(local: LocalProcess) -> EventReader:
    return subscribe_events(local, "smtp-test-events")


def _tls() -> ssl.SSLContext:
    # Local mode's certificate is made at start; clients are told not to check it.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _starttls(local: LocalProcess) -> smtplib.SMTP:
    client = smtplib.SMTP(*_address(local, "submission"), timeout=30)
    client.starttls(context=_tls())
    return client


def _smtps(local: LocalProcess) -> smtplib.SMTP_SSL:
    host, port = _address(local, "smtps")
    return smtplib.SMTP_SSL(host, port, timeout=30, context=_tls())


def _message(to: str, subject: str, sender: str = f"ops@{SENDER_DOMAIN}", extra: str = "") -> bytes:
    return f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}\r\nHello over SMTP.\r\n".encode()


def _received_by(sink: SmtpSink, recipient: str, count: int = 1) -> list[ReceivedMessage]:
    return wait_for(
        lambda: [m for m in sink.messages if recipient in m.recipients],
        lambda found: len(found) >= count,
        timeout=20,
    )


def _dns_txt(dns_server: DnsTestServer) -> Any:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns_server.host]
    resolver.port = dns_server.port

    def lookup(name: bytes, timeout: float = 5) -> bytes:
        answer = resolver.resolve(name.decode().rstrip("."), "TXT")
        return b"".join(b"".join(r.strings) for r in answer)

    return lookup


def _message_id(reply: bytes) -> str:
    text = reply.decode()
    assert text.startswith("Ok "), text
    return text.split()[1]


def test_the_ready_line_names_both_smtp_listeners_on_free_ports(local: LocalProcess) -> None:
    submission, smtps = _address(local, "submission"), _address(local, "smtps")
    assert submission[1] > 0 and smtps[1] > 0 and submission[1] != smtps[1]


def test_a_message_over_starttls_is_queued_signed_and_delivered_with_its_events(
    local: LocalProcess,
    sink: SmtpSink,
    dns_server: DnsTestServer,
    verified: None,
    credentials: tuple[str, str],
    events: Any,
) -> None:
    with _starttls(local) as client:
        client.login(*credentials)
        client.mail(f"feedback@{RECIPIENT_DOMAIN}")
        client.rcpt(f"ann@{RECIPIENT_DOMAIN}")
        client.rcpt(f"hidden@{RECIPIENT_DOMAIN}")  # an envelope recipient only: a Bcc
        code, reply = client.data(
            _message(
                f"ann@{RECIPIENT_DOMAIN}", "over STARTTLS", extra="X-SES-MESSAGE-TAGS: campaign=smtp\r\n"
            )
        )
    assert code == 250
    message_id = _message_id(reply)

    (to_ann,) = _received_by(sink, f"ann@{RECIPIENT_DOMAIN}")
    assert f"hidden@{RECIPIENT_DOMAIN}" in to_ann.recipients
    assert to_ann.data.startswith(b"DKIM-Signature:")
    assert dkim.verify(to_ann.data, dnsfunc=_dns_txt(dns_server))
    head = to_ann.data.split(b"\r\n\r\n")[0]
    assert f"<{message_id}@".encode() in head
    assert b"x-ses-message-tags" not in head.lower() and b"hidden@" not in head
    (send,) = events(message_id, "Send")
    assert send["mail"]["tags"]["campaign"] == ["smtp"]
    assert send["mail"]["callerIdentity"] == credentials[0]
    assert send["mail"]["sourceIp"] == "127.0.0.1"
    assert events(message_id, "Delivery")


def test_feedback_goes_to_the_mail_from_address(
    local: LocalProcess, sink: SmtpSink, verified: None, credentials: tuple[str, str]
) -> None:
    with _starttls(local) as client:
        client.login(*credentials)
        refused = client.sendmail(
            f"returns@{RECIPIENT_DOMAIN}",
            ["bounce@simulator.amazonses.com"],
            _message("bounce@simulator.amazonses.com", "will bounce"),
        )
    assert refused == {}
    (report,) = _received_by(sink, f"returns@{RECIPIENT_DOMAIN}")
    assert b"report-type=delivery-status" in report.data
    assert report.mail_from == "<>"


def test_a_message_over_implicit_tls_with_auth_login_is_delivered(
    local: LocalProcess, sink: SmtpSink, verified: None, credentials: tuple[str, str]
) -> None:
    with _smtps(local) as client:
        client.ehlo()
        assert "PLAIN" in client.esmtp_features["auth"] and "LOGIN" in client.esmtp_features["auth"]
        client.user, client.password = credentials
        assert client.auth("LOGIN", client.auth_login) == (235, b"Authentication successful")
        client.mail(f"ops@{SENDER_DOMAIN}")
        client.rcpt(f"tls-reader@{RECIPIENT_DOMAIN}")
        code, reply = client.data(_message(f"tls-reader@{RECIPIENT_DOMAIN}", "over TLS"))
    assert code == 250 and _message_id(reply)
    (received,) = _received_by(sink, f"tls-reader@{RECIPIENT_DOMAIN}")
    assert b"Subject: over TLS" in received.data


def test_auth_is_neither_offered_nor_accepted_before_starttls_and_nothing_passes_without_it(
    local: LocalProcess, sink: SmtpSink, credentials: tuple[str, str]
) -> None:
    before = len(sink.messages)
    with smtplib.SMTP(*_address(local, "submission"), timeout=30) as client:
        client.ehlo()
        assert "auth" not in client.esmtp_features
        assert "starttls" in client.esmtp_features
        assert client.esmtp_features["size"] == str(40 * 1024 * 1024)
        plain = base64.b64encode(f"\0{credentials[0]}\0{credentials[1]}".encode()).decode()
        assert client.docmd("AUTH", f"PLAIN {plain}") == (530, b"Must issue a STARTTLS command first")
        assert client.docmd("MAIL", f"FROM:<ops@{SENDER_DOMAIN}>") == (530, b"Authentication required")
        client.starttls(context=_tls())
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
        # No open relay: without AUTH no transaction starts, whatever the recipient.
        assert client.docmd("MAIL", f"FROM:<ops@{SENDER_DOMAIN}>") == (530, b"Authentication required")
        assert client.docmd("RCPT", "TO:<someone@elsewhere.test>") == (530, b"Authentication required")
        assert client.docmd("DATA") == (530, b"Authentication required")
    assert len(sink.messages) == before


def test_a_wrong_password_is_refused_with_ses_reply(
    local: LocalProcess, credentials: tuple[str, str]
) -> None:
    with _starttls(local) as client:
        client.ehlo()
        wrong = base64.b64encode(f"\0{credentials[0]}\0not-the-password".encode()).decode()
        assert client.docmd("AUTH", f"PLAIN {wrong}") == (535, b"Authentication Credentials Invalid")
        # The secret key itself is not the SMTP password either.
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login(credentials[0], local.secret_access_key)
        assert (refused.value.smtp_code, refused.value.smtp_error) == (
            535,
            b"Authentication Credentials Invalid",
        )
        client.login(*credentials)  # and a success from this address resets the delays


def test_each_refusal_has_ses_exact_reply_and_sends_nothing(
    local: LocalProcess, sink: SmtpSink, verified: None, credentials: tuple[str, str]
) -> None:
    before = len(sink.messages)
    with _starttls(local) as client:
        client.login(*credentials)

        def data(sender: str, recipients: list[str], body: bytes) -> tuple[int, bytes]:
            assert client.mail(sender)[0] == 250
            for recipient in recipients:
                assert client.rcpt(recipient)[0] == 250
            try:
                return client.data(body)
            except smtplib.SMTPDataError as refused:  # refused at DATA itself, before the message
                return refused.smtp_code, refused.smtp_error

        unverified = data(
            "x@unverified.test",
            [f"a@{RECIPIENT_DOMAIN}"],
            _message(f"a@{RECIPIENT_DOMAIN}", "s", "x@unverified.test"),
        )
        assert unverified == (
            554,
            b"Message rejected: Email address is not verified. The following identities failed the check "
            b"in region US-EAST-1: x@unverified.test",
        )
        sandboxed = data(
            f"ops@{SENDER_DOMAIN}", ["stranger@elsewhere.test"], _message("stranger@elsewhere.test", "s")
        )
        assert sandboxed[0] == 554
        assert sandboxed[1].startswith(b"Message rejected: Email address is not verified.")
        assert sandboxed[1].endswith(b"stranger@elsewhere.test")
        too_many = data(
            f"ops@{SENDER_DOMAIN}",
            [f"r{i}@{RECIPIENT_DOMAIN}" for i in range(51)],
            _message(f"r0@{RECIPIENT_DOMAIN}", "s"),
        )
        assert too_many == (554, b"Transaction failed: Recipient count exceeds 50.")
        missing_set = data(
            f"ops@{SENDER_DOMAIN}",
            [f"a@{RECIPIENT_DOMAIN}"],
            _message(f"a@{RECIPIENT_DOMAIN}", "s", extra="X-SES-CONFIGURATION-SET: nope\r\n"),
        )
        assert missing_set == (
            554,
            b"Configuration Set does not exist: Configuration set <nope> does not exist.",
        )
        assert client.docmd("MAIL", f"FROM:<ops@{SENDER_DOMAIN}> SIZE={40 * 1024 * 1024 + 1}") == (
            552,
            b"Message is too long.",
        )
    time.sleep(1)
    assert len(sink.messages) == before


def _account_with_quota(
    local: LocalProcess, dns_server: DnsTestServer, domain: str, *quota: str
) -> tuple[str, str]:
    """A production account of its own with ``quota`` (set-quota flags) and a verified domain;
    its SMTP credentials."""
    account = sesame_admin(local, "create-account", "--production")["account_id"]
    key = sesame_admin(local, "create-access-key", "--account-id", account)
    sesame_admin(local, "set-quota", "--account-id", account, *quota)
    v1 = sdk_client(local, "ses", key_id=key["access_key_id"], secret=key["secret_access_key"])
    dns_server.set(
        f"_amazonses.{domain}", "TXT", v1.verify_domain_identity(Domain=domain)["VerificationToken"]
    )
    v2 = sdk_client(local, "sesv2", key_id=key["access_key_id"], secret=key["secret_access_key"])
    wait_for(lambda: v2.get_email_identity(EmailIdentity=domain), lambda a: a["VerifiedForSendingStatus"])
    smtp = sesame_admin(local, "smtp-credentials", "--access-key-id", key["access_key_id"])
    return smtp["smtp_username"], smtp["smtp_password"]


def test_the_daily_quota_and_the_send_rate_hold_over_smtp(
    local: LocalProcess, dns_server: DnsTestServer
) -> None:
    daily = _account_with_quota(
        local, dns_server, "daily.test", "--max-send-rate", "1000", "--max-24-hour-send", "1"
    )
    with _starttls(local) as client:
        client.login(*daily)
        assert (
            client.sendmail(
                "ops@daily.test", ["one@daily.test"], _message("one@daily.test", "1", "ops@daily.test")
            )
            == {}
        )
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(
                "ops@daily.test", ["two@daily.test"], _message("two@daily.test", "2", "ops@daily.test")
            )
        assert (refused.value.smtp_code, refused.value.smtp_error) == (
            454,
            b"Throttling failure: Daily message quota exceeded.",
        )

    rate = _account_with_quota(
        local, dns_server, "rate.test", "--max-send-rate", "1", "--max-24-hour-send", "100"
    )
    with _starttls(local) as client:
        client.login(*rate)
        # Three recipients at one per second take this second's window and the next two.
        three = [f"success+{n}@simulator.amazonses.com" for n in range(3)]
        assert client.sendmail("ops@rate.test", three, _message(three[0], "burst", "ops@rate.test")) == {}
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("ops@rate.test", [three[0]], _message(three[0], "next", "ops@rate.test"))
        assert (refused.value.smtp_code, refused.value.smtp_error) == (
            454,
            b"Throttling failure: Maximum sending rate exceeded.",
        )


def test_concurrent_sessions_each_get_their_own_message_ids(
    local: LocalProcess, sink: SmtpSink, verified: None, credentials: tuple[str, str]
) -> None:
    results: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def session(number: int) -> None:
        try:
            with _smtps(local) if number % 2 else _starttls(local) as client:
                client.login(*credentials)
                barrier.wait()
                for i in range(3):
                    recipient = f"c{number}-{i}@{RECIPIENT_DOMAIN}"
                    client.mail(f"ops@{SENDER_DOMAIN}")
                    client.rcpt(recipient)
                    code, reply = client.data(_message(recipient, f"concurrent {number}-{i}"))
                    assert code == 250, reply
                    with lock:
                        results.append(_message_id(reply))
        except BaseException as error:
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert len(set(results)) == 18
    for number in range(6):
        for i in range(3):
            _received_by(sink, f"c{number}-{i}@{RECIPIENT_DOMAIN}")


def test_a_smuggling_attempt_yields_one_message_only(
    local: LocalProcess, sink: SmtpSink, verified: None, credentials: tuple[str, str]
) -> None:
    with _starttls(local) as client:
        client.login(*credentials)
        client.mail(f"ops@{SENDER_DOMAIN}")
        client.rcpt(f"smuggle-target@{RECIPIENT_DOMAIN}")
        assert client.docmd("DATA")[0] == 354
        hidden = (
            f"MAIL FROM:<ops@{SENDER_DOMAIN}>\r\nRCPT TO:<victim@{RECIPIENT_DOMAIN}>\r\nDATA\r\n"
            f"From: ops@{SENDER_DOMAIN}\r\nTo: victim@{RECIPIENT_DOMAIN}\r\n"
            "Subject: smuggled\r\n\r\nsmuggled\r\n"
        ).encode()
        first = _message(f"smuggle-target@{RECIPIENT_DOMAIN}", "first").rstrip(b"\r\n")
        client.send(first + b"\r\n\n.\n" + hidden + b".\r\n")
        assert client.getreply() == (
            554,
            b"Transaction failed: Message contains a bare CR or LF (lines end with CRLF only).",
        )
        # The session goes on in step: the client's next message is the one and only.
        assert (
            client.sendmail(
                f"ops@{SENDER_DOMAIN}",
                [f"smuggle-target@{RECIPIENT_DOMAIN}"],
                _message(f"smuggle-target@{RECIPIENT_DOMAIN}", "second"),
            )
            == {}
        )
    (only,) = _received_by(sink, f"smuggle-target@{RECIPIENT_DOMAIN}")
    assert b"Subject: second" in only.data
    time.sleep(1)
    assert not [m for m in sink.messages if f"victim@{RECIPIENT_DOMAIN}" in m.recipients]
    assert len([m for m in sink.messages if f"smuggle-target@{RECIPIENT_DOMAIN}" in m.recipients]) == 1


def test_connections_beyond_the_limit_per_address_get_421(local: LocalProcess) -> None:
    address = _address(local, "submission")
    # Sessions of earlier tests may still be closing on the server's side: take the 20 places
    # once they are all free.
    held = wait_for(lambda: _take_places(address, 20), lambda socks: socks is not None, timeout=15)
    assert held is not None
    try:
        refused = socket.create_connection(address, timeout=10)
        held.append(refused)
        assert refused.recv(1024) == b"421 Too many concurrent SMTP connections\r\n"
        assert refused.recv(1024) == b""
    finally:
        for sock in held:
            sock.close()
    # Closed connections are counted out again.
    wait_for(lambda: _greets(address), bool, timeout=10)


def _take_places(address: tuple[str, int], count: int) -> list[socket.socket] | None:
    """``count`` greeted connections, or None (all closed again) when one was refused."""
    held: list[socket.socket] = []
    for _ in range(count):
        sock = socket.create_connection(address, timeout=10)
        held.append(sock)
        if not sock.recv(1024).startswith(b"220 "):
            for opened in held:
                opened.close()
            return None
    return held


def _greets(address: tuple[str, int]) -> bool:
    with socket.create_connection(address, timeout=10) as sock:
        return sock.recv(1024).startswith(b"220 ")


# --- swaks, a client of its own ---------------------------------------------------------------------


def _swaks(*argv: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("swaks")
    assert executable, "swaks is not installed (apt-get install swaks libnet-ssleay-perl)"
    return subprocess.run([executable, *argv], capture_output=True, text=True, timeout=60, check=False)


def _swaks_send(
    local: LocalProcess, listener: str, tls_flag: str, auth: str, user: str, password: str, to: str
) -> subprocess.CompletedProcess[str]:
    host, port = _address(local, listener)
    return _swaks(
        "--server", host, "--port", str(port), tls_flag,
        "--auth", auth, "--auth-user", user, "--auth-password", password,
        "--from", f"ops@{SENDER_DOMAIN}", "--to", to,
        "--header", "Subject: via swaks", "--body", "Hello from swaks.",
        "--helo", "client.test",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("listener", "tls_flag", "auth"),
    [("submission", "--tls", "LOGIN"), ("smtps", "--tls-on-connect", "PLAIN")],
)
def test_swaks_submits_over_both_listeners(
    local: LocalProcess,
    sink: SmtpSink,
    verified: None,
    credentials: tuple[str, str],
    listener: str,
    tls_flag: str,
    auth: str,
) -> None:
    recipient = f"swaks-{listener}@{RECIPIENT_DOMAIN}"
    done = _swaks_send(local, listener, tls_flag, auth, *credentials, recipient)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "<~  235 Authentication successful" in done.stdout
    assert "<~  250 Ok 0" in done.stdout
    (received,) = _received_by(sink, recipient)
    assert b"Subject: via swaks" in received.data


def test_swaks_hears_535_for_a_wrong_password(local: LocalProcess, credentials: tuple[str, str]) -> None:
    done = _swaks_send(
        local, "submission", "--tls", "LOGIN", credentials[0], "wrong", f"x@{RECIPIENT_DOMAIN}"
    )
    assert done.returncode != 0
    assert "<~* 535 Authentication Credentials Invalid" in done.stdout


def test_smtp_credentials_of_an_unknown_key_is_an_error(local: LocalProcess) -> None:
    done = sesame_admin_run(local, "smtp-credentials", "--access-key-id", "AKIANOSUCHKEY0000000")
    assert done.returncode != 0
    assert "AKIANOSUCHKEY0000000" in done.stderr
