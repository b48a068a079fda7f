"""The real content scanners on loopback for tests: ClamAV's clamd and SpamAssassin's spamd.

Both come from Debian's packages (clamav-daemon, spamassassin + spamd; ``.ci/run`` installs
them). Nothing is downloaded: clamd loads only the signature database shipped beside this file
(``clamav/sesame-test.ndb``, which detects ``TEST_VIRUS``), and spamd runs the rules the package
ships with local tests only (``-L``: no DNS blocklists, no network). Each daemon gets a private
directory and a free loopback port; a daemon that is not installed or does not come up raises,
so the tests that need it fail rather than skip.

    with ClamdDaemon() as clamd, SpamdDaemon() as spamd:
        ClamdClient(clamd.address).find_virus(message)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

SIGNATURES = Path(__file__).with_name("clamav")
# The string the shipped signature detects, and the name clamd reports for it.
TEST_VIRUS = b"SESAME-TEST-VIRUS-7d1f0c9e-NOT-A-REAL-VIRUS"
TEST_VIRUS_NAME = "Sesame.Test.Signature.UNOFFICIAL"
# SpamAssassin's Generic Test for Unsolicited Bulk Email: a body with it scores 1000.
GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

SPAMASSASSIN_SITE_CONFIG = Path("/etc/spamassassin")


def executable(name: str, package: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )
    if found is None:
        raise RuntimeError(f"{name} is not installed: apt-get install {package} (.ci/run does)")
    return found


def free_port() -> int:
    """A loopback TCP port nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _exchange(port: int, request: bytes, *, timeout: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
        return reply


class _Daemon:
    name = "daemon"
    startup_timeout = 60.0

    def __init__(self) -> None:
        self.port = 0
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def directory(self) -> Path:
        assert self._dir is not None, f"{self.name} is not running"
        return Path(self._dir.name)

    def _command(self, port: int) -> list[str]:
        raise NotImplementedError

    def _prepare(self) -> None:
        raise NotImplementedError

    def _ready(self, port: int) -> bool:
        raise NotImplementedError

    def start(self) -> _Daemon:
        self._dir = tempfile.TemporaryDirectory(prefix=f"sesame-{self.name}-")
        # spamd drops root privileges to "nobody", which must read its configuration.
        os.chmod(self._dir.name, 0o755)
        self._prepare()
        started = time.monotonic()
        problems: list[str] = []
        for _attempt in range(3):  # a port taken between asking and binding: try another
            port = free_port()
            log = self.directory / "daemon.log"
            with log.open("ab") as output:
                process = subprocess.Popen(
                    self._command(port), stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                )
            deadline = time.monotonic() + self.startup_timeout
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if self._ready(port):
                        self._process, self.port = process, port
                        self.startup_seconds = time.monotonic() - started
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            _stop(process)
            problems.append(log.read_text(errors="replace")[-2000:])
        self._cleanup()
        raise RuntimeError(f"{self.name} did not start:\n" + "\n---\n".join(problems))

    def stop(self) -> None:
        if self._process is not None:
            _stop(self._process)
            self._process = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> _Daemon:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class ClamdDaemon(_Daemon):
    """clamd with only the shipped test signatures, on a loopback TCP port."""

    name = "clamd"

    def __init__(self, *, stream_max_length: str = "50M") -> None:
        super().__init__()
        self._binary = executable("clamd", "clamav-daemon")
        self._stream_max_length = stream_max_length

    def _prepare(self) -> None:
        database = self.directory / "db"
        database.mkdir()
        for signature in SIGNATURES.iterdir():
            if signature.suffix in (".ndb", ".hdb", ".ldb"):
                shutil.copy(signature, database / signature.name)

    def _command(self, port: int) -> list[str]:
        config = self.directory / f"clamd-{port}.conf"
        config.write_text(
            "\n".join(
                [
                    f"DatabaseDirectory {self.directory / 'db'}",
                    "TCPAddr 127.0.0.1",
                    f"TCPSocket {port}",
                    "Foreground yes",
                    f"StreamMaxLength {self._stream_max_length}",
                    "LogTime yes",
                    "",
                ]
            )
        )
        return [self._binary, f"--config-file={config}"]

    def _ready(self, port: int) -> bool:
        return _exchange(port, b"zPING\0").rstrip(b"\0\n") == b"PONG"


class SpamdDaemon(_Daemon):
    """spamd with the packaged rules, local tests only, Bayes and network checks off."""

    name = "spamd"

    def __init__(self) -> None:
        super().__init__()
        self._binary = executable("spamd", "spamd")

    def _prepare(self) -> None:
        site = self.directory / "site"
        site.mkdir()
        os.chmod(site, 0o755)
        # The .pre files load the plugins the rules need; local.cf is ours alone.
        plugins = sorted(SPAMASSASSIN_SITE_CONFIG.glob("*.pre"))
        if not plugins:
            raise RuntimeError(f"no SpamAssassin plugin files in {SPAMASSASSIN_SITE_CONFIG}")
        for pre in plugins:
            shutil.copy(pre, site / pre.name)
        (site / "local.cf").write_text(
            "use_bayes 0\nbayes_auto_learn 0\nskip_rbl_checks 1\ndns_available no\n"
        )
        for path in site.iterdir():
            os.chmod(path, 0o644)

    def _command(self, port: int) -> list[str]:
        command = [
            self._binary,
            "--local",
            f"--listen=127.0.0.1:{port}",
            f"--siteconfigpath={self.directory / 'site'}",
            "--nouser-config",
            "--min-children=1",
            "--max-children=2",
            "--syslog=stderr",
        ]
        if os.geteuid() == 0:
            command.append("--username=nobody")  # spamd will not run its children as root
        return command

    def _ready(self, port: int) -> bool:
        return b" 0 PONG" in _exchange(port, b"PING SPAMC/1.5\r\n\r\n")


class HangingListener:
    """A TCP port whose connections are completed by the kernel and never answered: a scanner
    that hangs. Nothing accepts them, so nothing is ever read or written back."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> HangingListener:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._sock.close()
