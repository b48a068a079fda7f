"""The SES API in local mode: requests per second from concurrent boto3 clients, server CPU per
request, and the cold-start import time of the API Lambda's entry point.

Local mode runs as a user runs it (a child process, every port 0), resolving through a DNS
server on loopback where the benchmark's identities are published, so the identities read are
verified ones (a read of a pending identity may first look in DNS: a different, rarer cost).
Each client is a process of its own with one boto3 client, so client-side signing and parsing do
not share one interpreter lock; on a small machine clients and server still share the cores,
which the notes say.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks.harness import Figure, Options, median, percentile
from tests.support.dns_server import DnsTestServer
from tests.support.local_process import LocalProcess, start_local
from tests.support.signing_zone import publish_dkim_cnames, serve_signing_zone

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
V1_DOMAIN = "bench-v1.example"
V2_DOMAIN = "bench-v2.example"
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Target:
    """One operation under load: what a figure is called and how a client calls it."""

    label: str
    service: str
    operation: str
    params: dict[str, Any]


TARGETS = (
    Target("v2 GetEmailIdentity", "sesv2", "get_email_identity", {"EmailIdentity": V2_DOMAIN}),
    Target(
        "v1 GetIdentityVerificationAttributes",
        "ses",
        "get_identity_verification_attributes",
        {"Identities": [V1_DOMAIN]},
    ),
)


@dataclass(frozen=True)
class Endpoint:
    api_url: str
    access_key_id: str
    secret_access_key: str


def _client(endpoint: Endpoint, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint.api_url,
        region_name=REGION,
        aws_access_key_id=endpoint.access_key_id,
        aws_secret_access_key=endpoint.secret_access_key,
        config=Config(retries={"total_max_attempts": 1}),
    )


def _client_process(
    endpoint: Endpoint, target: Target, duration: float, ready: Any, go: Event, results: Any
) -> None:
    """One client: warm up, say so, wait for the start, call as fast as answers come."""
    client = _client(endpoint, target.service)
    call: Callable[..., Any] = getattr(client, target.operation)
    call(**target.params)  # connection, model and credentials loaded before the clock starts
    ready.put(os.getpid())
    go.wait()
    latencies: list[float] = []
    errors = 0
    end = time.monotonic() + duration
    while (started := time.monotonic()) < end:
        try:
            call(**target.params)
        except Exception:
            errors += 1
        latencies.append(time.monotonic() - started)
    results.put((latencies, errors, time.monotonic()))


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    elapsed: float
    latencies: list[float]
    server_cpu: float

    @property
    def per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed else float("nan")

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu / self.requests if self.requests else float("nan")


def measure(local: LocalProcess, target: Target, clients: int, duration: float) -> LoadResult:
    """``clients`` processes calling ``target`` for ``duration`` seconds, all at once."""
    endpoint = Endpoint(local.api_url, local.access_key_id, local.secret_access_key)
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    workers = [
        context.Process(target=_client_process, args=(endpoint, target, duration, ready, go, results))
        for _ in range(clients)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    cpu_before = _cpu_seconds(local.process.pid)
    started = time.monotonic()
    go.set()
    answers = [results.get(timeout=duration + 120) for _ in workers]
    finished = max(answer[2] for answer in answers)
    cpu_after = _cpu_seconds(local.process.pid)
    for worker in workers:
        worker.join(timeout=30)
    latencies = [latency for answer in answers for latency in answer[0]]
    return LoadResult(
        requests=len(latencies),
        errors=sum(answer[1] for answer in answers),
        elapsed=finished - started,
        latencies=latencies,
        server_cpu=cpu_after - cpu_before,
    )


def _verified_identities(local: LocalProcess, dns_server: DnsTestServer) -> None:
    """The two identities the benchmark reads, verified through DNS as a customer's would be."""
    endpoint = Endpoint(local.api_url, local.access_key_id, local.secret_access_key)
    sesv2, ses = _client(endpoint, "sesv2"), _client(endpoint, "ses")
    dkim = sesv2.create_email_identity(EmailIdentity=V2_DOMAIN)["DkimAttributes"]
    route53 = boto3.client(
        "route53",
        endpoint_url=local.aws_url,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    serve_signing_zone(dns_server, route53, dkim["SigningHostedZone"])
    publish_dkim_cnames(dns_server, V2_DOMAIN, dkim["Tokens"], dkim["SigningHostedZone"])
    token = ses.verify_domain_identity(Domain=V1_DOMAIN)["VerificationToken"]
    dns_server.set(f"_amazonses.{V1_DOMAIN}", "TXT", token)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        v2 = sesv2.get_email_identity(EmailIdentity=V2_DOMAIN)["VerificationStatus"]
        v1 = ses.get_identity_verification_attributes(Identities=[V1_DOMAIN])["VerificationAttributes"]
        if v2 == "SUCCESS" and v1[V1_DOMAIN]["VerificationStatus"] == "Success":
            return
        time.sleep(0.5)
    raise RuntimeError("the benchmark identities did not verify within 60 s")


def _load_figures(target: Target, clients: int, result: LoadResult, cores: int) -> list[Figure]:
    latencies_ms = [1000 * value for value in result.latencies]
    p50, p99 = percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.99)
    notes = f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, {result.requests} requests in {result.elapsed:.1f} s"
    if result.errors:
        notes += f", {result.errors} errors"
    name = f"api {target.label} [clients={clients}]"
    return [
        Figure(name, result.per_second, "req/s", notes),
        Figure(
            f"{name} server CPU",
            result.cpu_ms_per_request,
            "ms/req",
            f"user+system of the local-mode process; {cores} cores shared with the clients",
        ),
    ]


def throughput_figures(options: Options) -> list[Figure]:
    figures: list[Figure] = []
    cores = os.cpu_count() or 1
    with DnsTestServer() as dns_server:
        local = start_local("--dns", dns_server.address, "--check-interval", "1")
        try:
            _verified_identities(local, dns_server)
            for target in TARGETS:
                for clients in options.clients:
                    result = measure(local, target, clients, options.duration)
                    figures += _load_figures(target, clients, result, cores)
        finally:
            local.stop()
    return figures


def _import_times(statement: str) -> tuple[float, list[tuple[float, str]]]:
    """Cumulative import time of the last module in ``statement`` (ms, from -X importtime) and
    its heaviest direct imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    module = statement.split()[-1]
    children: list[tuple[float, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name_field = line.split("|")
        if not cumulative.strip().isdigit():
            continue  # the header line
        depth = (len(name_field) - len(name_field.lstrip(" ")) - 1) // 2
        name = name_field.strip()
        if depth == 0 and name == module:
            return int(cumulative) / 1000, sorted(children, reverse=True)
        if depth == 0:
            children = []
        elif depth == 1:
            children.append((int(cumulative) / 1000, name))
    raise RuntimeError(f"{module} not in the import-time report:\n{done.stderr[-2000:]}")


def _wall_ms(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
    return 1000 * (time.perf_counter() - started)


def cold_start_figures(options: Options) -> list[Figure]:
    statement = "import lambdas.api"
    runs = [_import_times(statement) for _ in range(options.repeats)]
    cumulative = median([total for total, _ in runs])
    heaviest = ", ".join(f"{name} {ms:.0f} ms" for ms, name in runs[-1][1][:4])
    interpreter = median([_wall_ms([sys.executable, "-c", "pass"]) for _ in range(options.repeats)])
    fresh = median([_wall_ms([sys.executable, "-c", statement]) for _ in range(options.repeats)])
    return [
        Figure(
            "cold start: import lambdas.api",
            cumulative,
            "ms",
            f"-X importtime cumulative, median of {options.repeats}; heaviest: {heaviest}",
        ),
        Figure(
            "cold start: fresh interpreter importing lambdas.api",
            fresh,
            "ms",
            f"wall time, median of {options.repeats}; a bare interpreter takes {interpreter:.0f} ms",
        ),
    ]


def run(options: Options) -> list[Figure]:
    return throughput_figures(options) + cold_start_figures(options)
