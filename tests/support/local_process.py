"""Runs `sesame local` as a user does: a child process, port 0 everywhere, ready line parsed."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from sesame.settings import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY

READY_TIMEOUT = 90.0


@dataclass
class LocalProcess:
    process: subprocess.Popen[str]
    ready: dict[str, str]
    output: list[str] = field(default_factory=list)
    access_key_id: str = DEFAULT_ACCESS_KEY_ID
    secret_access_key: str = DEFAULT_SECRET_ACCESS_KEY

    @property
    def api_url(self) -> str:
        return self.ready["api"]

    @property
    def aws_url(self) -> str:
        return self.ready["aws"]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def start_local(*flags: str, env: dict[str, str] | None = None) -> LocalProcess:
    """Start `sesame local` with every listener on port 0 plus ``flags``; wait for `sesame ready`."""
    argv = [
        sys.executable,
        "-m",
        "sesame.cli",
        "local",
        "--api-port",
        "0",
        "--aws-port",
        "0",
        "--submission-port",
        "0",
        "--smtps-port",
        "0",
        "--mx-port",
        "0",
        *flags,
    ]
    child_env = {**os.environ, **(env or {})}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        child_env.pop(name, None)
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env
    )
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise RuntimeError("sesame local did not get ready:\n" + "".join(output)) from None
        if line is None:
            raise RuntimeError("sesame local exited:\n" + "".join(output))
        if line.startswith("sesame ready"):
            fields = dict(part.split("=", 1) for part in line.split()[2:])
            return LocalProcess(process=process, ready=fields, output=output)
