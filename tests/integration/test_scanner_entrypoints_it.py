"""The scanner sidecars' entry points (containers/clamd, containers/spamd), run as the images run
them but on this machine: Debian's real clamd, with stand-ins for the programs that need the
network (freshclam, sa-update) and, for the spamd script, for spamd itself."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from tests.support.scanners import SIGNATURES, executable, free_port

ROOT = Path(__file__).resolve().parents[2]
CLAMD_DIR = ROOT / "containers" / "clamd"
SPAMD_DIR = ROOT / "containers" / "spamd"

# freshclam's stand-in: records its arguments; a one-off run "downloads" the shipped test signatures
# (or fails when told to); the daemon run stays up as freshclam's daemon does.
FAKE_FRESHCLAM = """#!/bin/sh
echo "freshclam $*" >> "$CALLS"
case "$*" in *--daemon*) exec sleep 300 ;; esac
[ -e "$FAIL" ] && exit 1
cp "$SIGNATURES"/*.ndb "$DATABASE"/
"""
# sa-update's stand-in: exits with the status in $STATUS_FILE (0 new rules, 1 none, >1 error).
FAKE_SA_UPDATE = """#!/bin/sh
echo "sa-update" >> "$CALLS"
exit "$(cat "$STATUS_FILE")"
"""
# spamd's stand-in: records its process id and arguments, then each SIGHUP it gets.
FAKE_SPAMD = """#!/bin/sh
trap 'echo hup >> "$CALLS"' HUP
echo "spamd $$ $*" >> "$CALLS"
while :; do sleep 0.1; done
"""


def _script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(64).rstrip(b"\0\n") == b"PONG"
    except OSError:
        return False


def _calls(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Callable[[Path, dict[str, str]], subprocess.Popen[bytes]]]:
    """Starts an entry point in its own process group; the whole group is ended afterwards (the
    stand-in daemons the scripts leave running beside their main process among it)."""
    started: list[subprocess.Popen[bytes]] = []
    logs: list[BinaryIO] = []

    def start(script: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (tmp_path / "entrypoint.log").open("ab")
        logs.append(log)
        process = subprocess.Popen(
            ["sh", str(script)],
            env={"PATH": os.environ["PATH"], **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    for log in logs:
        log.close()


@pytest.mark.parametrize("script", [CLAMD_DIR / "entrypoint.sh", SPAMD_DIR / "entrypoint.sh"])
def test_entry_points_are_posix_sh_and_the_images_run_them(script: Path) -> None:
    assert script.read_text().startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(script)], check=True)
    dockerfile = (script.parent / "Dockerfile").read_text()
    (installed,) = [
        line.split()[-1] for line in dockerfile.splitlines() if line.startswith("COPY entrypoint.sh ")
    ]
    assert f'ENTRYPOINT ["{installed}"]' in dockerfile


def test_clamav_accepts_both_configuration_files() -> None:
    report = subprocess.run(
        [executable("clamconf", "clamav"), "-c", str(CLAMD_DIR)], capture_output=True, text=True, check=True
    )
    assert "Config file: clamd.conf" in report.stdout and "Config file: freshclam.conf" in report.stdout
    assert "ERROR" not in report.stdout + report.stderr


class TestClamdEntryPoint:
    @pytest.fixture
    def setup(self, tmp_path: Path) -> tuple[dict[str, str], int]:
        port = free_port()
        database = tmp_path / "db"
        database.mkdir()
        (tmp_path / "tmp").mkdir()
        config = (CLAMD_DIR / "clamd.conf").read_text()
        config = config.replace("DatabaseDirectory /var/lib/clamav", f"DatabaseDirectory {database}")
        config = config.replace("TCPSocket 3310", f"TCPSocket {port}")
        config = config.replace("TemporaryDirectory /tmp", f"TemporaryDirectory {tmp_path / 'tmp'}")
        (tmp_path / "clamd.conf").write_text(config)
        env = {
            "CLAMD": executable("clamd", "clamav-daemon"),
            "FRESHCLAM": str(_script(tmp_path / "freshclam", FAKE_FRESHCLAM)),
            "CLAMD_CONFIG": str(tmp_path / "clamd.conf"),
            "FRESHCLAM_CONFIG": str(CLAMD_DIR / "freshclam.conf"),
            "CLAMAV_DATABASE": str(database),
            "FRESHCLAM_CHECKS": "12",
            "CALLS": str(tmp_path / "calls"),
            "FAIL": str(tmp_path / "fail"),
            "SIGNATURES": str(SIGNATURES),
            "DATABASE": str(database),
        }
        return env, port

    def test_signatures_are_fetched_before_clamd_starts_then_freshclam_stays_up(
        self, setup: tuple[dict[str, str], int], run: Callable[..., subprocess.Popen[bytes]]
    ) -> None:
        env, port = setup
        process = run(CLAMD_DIR / "entrypoint.sh", env)
        # clamd serves only with a database, and only the first freshclam run provided one.
        assert _wait(lambda: _pong(port), 60), "clamd did not answer PING"
        first, daemon = _calls(Path(env["CALLS"]))
        assert "--daemon" not in first
        assert f"--config-file={env['FRESHCLAM_CONFIG']}" in first
        assert "--daemon --foreground --checks=12" in daemon
        # exec: the container's main process is clamd itself, and SIGTERM ends it.
        assert b"clamd" in Path(f"/proc/{process.pid}/cmdline").read_bytes()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0

    def test_without_signatures_a_failed_download_stops_the_container(
        self, setup: tuple[dict[str, str], int], run: Callable[..., subprocess.Popen[bytes]]
    ) -> None:
        env, port = setup
        Path(env["FAIL"]).touch()
        process = run(CLAMD_DIR / "entrypoint.sh", env)
        assert process.wait(timeout=20) == 1
        assert len(_calls(Path(env["CALLS"]))) == 1
        assert not _pong(port)

    def test_a_failed_download_keeps_the_signatures_at_hand(
        self, setup: tuple[dict[str, str], int], run: Callable[..., subprocess.Popen[bytes]]
    ) -> None:
        env, port = setup
        for signature in SIGNATURES.glob("*.ndb"):
            (Path(env["DATABASE"]) / signature.name).write_bytes(signature.read_bytes())
        Path(env["FAIL"]).touch()
        run(CLAMD_DIR / "entrypoint.sh", env)
        assert _wait(lambda: _pong(port), 60), "clamd did not start with the signatures it had"


class TestSpamdEntryPoint:
    @pytest.fixture
    def env(self, tmp_path: Path) -> dict[str, str]:
        return {
            "SPAMD": str(_script(tmp_path / "spamd", FAKE_SPAMD)),
            "SA_UPDATE": str(_script(tmp_path / "sa-update", FAKE_SA_UPDATE)),
            "SA_UPDATE_INTERVAL": "1",
            "CALLS": str(tmp_path / "calls"),
            "STATUS_FILE": str(tmp_path / "status"),
        }

    def test_rules_are_updated_before_spamd_starts_and_new_rules_reload_it(
        self, env: dict[str, str], run: Callable[..., subprocess.Popen[bytes]]
    ) -> None:
        Path(env["STATUS_FILE"]).write_text("0")
        process = run(SPAMD_DIR / "entrypoint.sh", env)
        calls = Path(env["CALLS"])
        assert _wait(lambda: "hup" in _calls(calls), 10), _calls(calls)
        first, started, *_ = _calls(calls)
        assert first == "sa-update"
        # exec: spamd keeps the script's process id, which the update loop signals.
        pid, *arguments = started.split()[1:]
        assert int(pid) == process.pid
        assert "--listen=127.0.0.1:7830" in arguments and "--allowed-ips=127.0.0.1" in arguments

    def test_no_new_rules_no_reload_and_a_failed_update_does_not_stop_spamd(
        self, env: dict[str, str], run: Callable[..., subprocess.Popen[bytes]]
    ) -> None:
        status = Path(env["STATUS_FILE"])
        status.write_text("4")  # sa-update's own failure at start
        process = run(SPAMD_DIR / "entrypoint.sh", env)
        calls = Path(env["CALLS"])
        assert _wait(lambda: any(c.startswith("spamd ") for c in _calls(calls)), 10), _calls(calls)
        status.write_text("1")  # then: no new rules
        assert _wait(lambda: _calls(calls).count("sa-update") >= 3, 10), _calls(calls)
        assert "hup" not in _calls(calls)
        assert process.poll() is None
