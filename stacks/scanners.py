"""The inbound MX's content scanners as sidecars: SpamAssassin's spamd and ClamAV's clamd.

Each MX task runs both beside the server, which reaches them on the task's loopback for every
received message's spam and virus verdicts (SESAME_SPAMD_ADDRESS, SESAME_CLAMD_ADDRESS). Their
images come from containers/spamd and containers/clamd; rules and signatures stay current through
sa-update and freshclam inside those containers.
"""

from __future__ import annotations

import aws_cdk as cdk

from stacks.containers import sidecar_image
from stacks.smtp_service import CONTAINER_TMP, Sidecar

SPAMD_PORT = 7830
CLAMD_PORT = 3310
# clamd holds its signature engine in memory: about 1.2 GiB by ClamAV's figures, more while it scans.
CLAMD_MEMORY_MB = 1536
# spamd's parent and up to five children.
SPAMD_MEMORY_MB = 512


def scanner_sidecars() -> tuple[Sidecar, Sidecar]:
    spamd = Sidecar(
        name="spamd",
        image=sidecar_image("spamd"),
        port=SPAMD_PORT,
        memory_reservation_mb=SPAMD_MEMORY_MB,
        # spamc -K: spamd answers PING with PONG.
        health_check=("spamc", "-K", "-d", "127.0.0.1", "-p", str(SPAMD_PORT)),
        # sa-update runs before spamd starts, and spamd compiles its rules.
        start_period=cdk.Duration.seconds(180),
        writable_paths=("/var/lib/spamassassin", CONTAINER_TMP),
        server_environment={"SESAME_SPAMD_ADDRESS": f"127.0.0.1:{SPAMD_PORT}"},
    )
    clamd = Sidecar(
        name="clamd",
        image=sidecar_image("clamd"),
        port=CLAMD_PORT,
        memory_reservation_mb=CLAMD_MEMORY_MB,
        # clamdscan finds clamd through clamd.conf (TCPAddr, TCPSocket) and sends PING.
        health_check=("clamdscan", "--ping", "1"),
        # The first freshclam download (a few hundred MB) and the engine's build come first: ECS's
        # longest start period.
        start_period=cdk.Duration.seconds(300),
        writable_paths=("/var/lib/clamav", CONTAINER_TMP),
        server_environment={"SESAME_CLAMD_ADDRESS": f"127.0.0.1:{CLAMD_PORT}"},
    )
    return spamd, clamd
