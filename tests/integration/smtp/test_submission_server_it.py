"""The submission server over real loopback sockets, in front of the real services on moto:
what a public endpoint must hold -- smuggling, size and line bounds, timeouts, connection
limits, slowed-down login failures, durability before 250 and a graceful stop."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from collections.abc import Callable

import pytest

from sesame.smtp.server import SubmissionServer
from tests.integration.smtp.conftest import DOMAIN, World, insecure_context, logged_in, message
from tests.unit.smtp.test_data_reader import FAKE_ENDS, SMUGGLED

StartServer = Callable[..., SubmissionServer]


def test_the_message_is_queued_when_250_names_its_message_id(world: World, start_server: StartServer) -> None:
    server = start_server()
    client = logged_in(server, world)
    client.mail(f"feedback@{DOMAIN}")
    client.rcpt("success@simulator.amazonses.com")
    code, reply = client.data(message())
    client.quit()
    assert code == 250 and reply.startswith(b"Ok ")
    message_id = reply.split()[1].decode()
    (queued,) = world.queued()
    assert message_id in queued


@pytest.mark.parametrize("fake_end", FAKE_ENDS, ids=repr)
def test_a_smuggling_attempt_queues_nothing_and_keeps_the_session_in_step(
    world: World, start_server: StartServer, fake_end: bytes
) -> None:
    server = start_server()
    client = logged_in(server, world)
    client.mail(f"ops@{DOMAIN}")
    client.rcpt("success@simulator.amazonses.com")
    assert client.docmd("DATA")[0] == 354
    client.send(message("first").rstrip(b"\r\n") + fake_end + SMUGGLED + b".\r\n")
    code, reply = client.getreply()
    assert (code, reply) == (
        554,
        b"Transaction failed: Message contains a bare CR or LF (lines end with CRLF only).",
    )
    # The hidden MAIL/RCPT/DATA were read as data, never as commands.
    assert client.noop()[0] == 250
    assert client.sendmail(f"ops@{DOMAIN}", ["success@simulator.amazonses.com"], message("second")) == {}
    client.quit()
    (queued,) = world.queued()
    assert "smuggled" not in queued


def test_more_data_than_40_mb_is_refused_as_too_long(world: World, start_server: StartServer) -> None:
    server = start_server()
    client = logged_in(server, world)
    big = message() + (b"x" * 998 + b"\r\n") * (41 * 1024 * 1024 // 1000)
    # Without SIZE (which would be refused at MAIL): the data itself is too long.
    client.mail(f"ops@{DOMAIN}")
    client.rcpt("success@simulator.amazonses.com")
    assert client.data(big) == (552, b"Message is too long.")
    assert client.noop()[0] == 250
    client.quit()
    assert world.queued() == []


def test_a_line_longer_than_1000_octets_is_refused(world: World, start_server: StartServer) -> None:
    server = start_server()
    client = logged_in(server, world)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail(
            f"ops@{DOMAIN}", ["success@simulator.amazonses.com"], message() + b"y" * 1200 + b"\r\n"
        )
    assert (refused.value.smtp_code, refused.value.smtp_error) == (500, b"5.5.6 Line too long")
    client.quit()
    assert world.queued() == []


def test_recipients_beyond_the_transaction_bound_get_452(world: World, start_server: StartServer) -> None:
    server = start_server()
    client = logged_in(server, world)
    client.mail(f"ops@{DOMAIN}")
    codes = [client.rcpt(f"r{i}@inbox.test")[0] for i in range(101)]
    assert codes[:100] == [250] * 100 and codes[100] == 452
    client.quit()


def _greeting(port: int) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock, sock.recv(1024)


def test_a_quiet_session_is_closed_with_ses_timeout_reply(world: World, start_server: StartServer) -> None:
    server = start_server(idle_timeout=0.5)
    sock, greeting = _greeting(server.submission_port)
    assert greeting.startswith(b"220 ")
    started = time.monotonic()
    assert sock.recv(1024) == b"451 Timeout waiting for data from client\r\n"
    assert sock.recv(1024) == b""  # closed
    assert 0.4 < time.monotonic() - started < 5
    sock.close()


def test_a_session_that_keeps_talking_is_not_idle(world: World, start_server: StartServer) -> None:
    server = start_server(idle_timeout=1.0)
    client = smtplib.SMTP("127.0.0.1", server.submission_port, timeout=10)
    for _ in range(8):
        time.sleep(0.2)
        assert client.noop()[0] == 250
    client.quit()


def test_connections_beyond_the_per_address_limit_get_421(world: World, start_server: StartServer) -> None:
    server = start_server(max_connections_per_address=2)
    first, _ = _greeting(server.submission_port)
    second, _ = _greeting(server.submission_port)
    third, refusal = _greeting(server.submission_port)
    assert refusal == b"421 Too many concurrent SMTP connections\r\n"
    assert third.recv(1024) == b""
    first.close()
    deadline = time.monotonic() + 5
    while server.open_connections > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    fourth, greeting = _greeting(server.submission_port)
    assert greeting.startswith(b"220 ")
    for sock in (second, third, fourth):
        sock.close()


def _failed_login_seconds(server: SubmissionServer, world: World, password: str) -> float:
    client = smtplib.SMTP("127.0.0.1", server.submission_port, timeout=30)
    client.starttls(context=insecure_context())
    client.ehlo()
    started = time.monotonic()
    code, reply = client.docmd("AUTH", "PLAIN " + _plain(world.access_key_id, password))
    elapsed = time.monotonic() - started
    client.close()
    assert (code, reply) == (535, b"Authentication Credentials Invalid")
    return elapsed


def _plain(user: str, password: str) -> str:
    import base64

    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


def test_failed_logins_from_one_address_are_answered_ever_later(
    world: World, start_server: StartServer
) -> None:
    server = start_server(auth_failure_delay=0.3, auth_failure_max_delay=5)
    delays = [_failed_login_seconds(server, world, "wrong") for _ in range(3)]
    assert delays[0] >= 0.3 and delays[1] >= 0.6 and delays[2] >= 1.2
    assert delays[0] < delays[1] < delays[2]
    logged_in(server, world).quit()  # a success from the address starts afresh
    assert _failed_login_seconds(server, world, "wrong") < 0.6


def test_auth_login_and_plain_with_challenges(world: World, start_server: StartServer) -> None:
    import base64

    server = start_server()
    client = smtplib.SMTP("127.0.0.1", server.submission_port, timeout=10)
    client.starttls(context=insecure_context())
    client.ehlo()
    assert client.docmd("AUTH", "LOGIN") == (334, base64.b64encode(b"Username:"))
    assert client.docmd(base64.b64encode(world.access_key_id.encode()).decode()) == (
        334,
        base64.b64encode(b"Password:"),
    )
    assert client.docmd(base64.b64encode(world.password.encode()).decode()) == (
        235,
        b"Authentication successful",
    )
    client.quit()
    client = smtplib.SMTP_SSL("127.0.0.1", server.smtps_port, timeout=10, context=insecure_context())
    client.ehlo()
    assert client.docmd("AUTH", "PLAIN")[0] == 334
    assert client.docmd(_plain(world.access_key_id, world.password)) == (235, b"Authentication successful")
    client.quit()


def test_stopping_finishes_the_message_in_flight_then_closes(world: World, start_server: StartServer) -> None:
    server = start_server()
    client = logged_in(server, world)
    idle = logged_in(server, world)
    client.mail(f"ops@{DOMAIN}")
    client.rcpt("success@simulator.amazonses.com")
    assert client.docmd("DATA")[0] == 354
    client.send(message("in flight"))  # not yet ended
    deadline = time.monotonic() + 5
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    time.sleep(0.3)
    client.send(b".\r\n")
    code, _ = client.getreply()
    stopping.join(timeout=deadline - time.monotonic() + 10)
    assert code == 250
    assert not stopping.is_alive()
    assert idle.getreply() == (421, b"4.3.2 Service shutting down, try again later")
    assert len(world.queued()) == 1
