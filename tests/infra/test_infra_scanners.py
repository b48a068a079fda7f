"""The inbound MX's content scanners: spamd and clamd sidecars in each MX task, when
mx_scanning_enabled is on."""

from __future__ import annotations

import json
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import assertions
from infra_support import NO_BUNDLING, ROOT, template_for

from stacks.config import ConfigError, SesameConfig

SCANNING: dict[str, Any] = {
    "mx_enabled": True,
    "mx_scanning_enabled": True,
    "mx_task_cpu": 512,
    "mx_task_memory_mb": 3072,
}
ADDRESSES = {"SESAME_SPAMD_ADDRESS": "127.0.0.1:7830", "SESAME_CLAMD_ADDRESS": "127.0.0.1:3310"}


@pytest.fixture(scope="module")
def scanning() -> assertions.Template:
    return template_for(SCANNING)


@pytest.fixture(scope="module")
def plain_mx() -> assertions.Template:
    return template_for({"mx_enabled": True})


def _mx_task(template: assertions.Template) -> dict[str, Any]:
    (task,) = [
        resource["Properties"]
        for logical, resource in template.find_resources("AWS::ECS::TaskDefinition").items()
        if logical.startswith("Mx")
    ]
    return dict(task)


def _containers(template: assertions.Template) -> dict[str, dict[str, Any]]:
    return {container["Name"]: container for container in _mx_task(template)["ContainerDefinitions"]}


def _environment(container: dict[str, Any]) -> dict[str, Any]:
    return {variable["Name"]: variable["Value"] for variable in container.get("Environment", [])}


def test_each_mx_task_runs_the_server_with_spamd_and_clamd(scanning: assertions.Template) -> None:
    containers = _containers(scanning)
    assert set(containers) == {"Server", "spamd", "clamd"}
    assert all(container["Essential"] for container in containers.values())
    task = _mx_task(scanning)
    assert (task["Cpu"], task["Memory"]) == ("512", "3072")


def test_the_server_starts_once_both_scanners_are_healthy(scanning: assertions.Template) -> None:
    server = _containers(scanning)["Server"]
    assert sorted(server["DependsOn"], key=lambda d: d["ContainerName"]) == [
        {"ContainerName": "clamd", "Condition": "HEALTHY"},
        {"ContainerName": "spamd", "Condition": "HEALTHY"},
    ]


def test_the_server_finds_the_scanners_on_the_task_loopback(scanning: assertions.Template) -> None:
    environment = _environment(_containers(scanning)["Server"])
    assert {key: environment.get(key) for key in ADDRESSES} == ADDRESSES
    ports = {name: c["PortMappings"][0]["ContainerPort"] for name, c in _containers(scanning).items()}
    assert (ports["spamd"], ports["clamd"]) == (7830, 3310)


@pytest.mark.parametrize(
    ("name", "probe"),
    [
        ("spamd", ["CMD", "spamc", "-K", "-d", "127.0.0.1", "-p", "7830"]),
        ("clamd", ["CMD", "clamdscan", "--ping", "1"]),
    ],
)
def test_scanners_have_health_checks_and_log_to_the_tier_log_group(
    scanning: assertions.Template, name: str, probe: list[str]
) -> None:
    containers = _containers(scanning)
    sidecar = containers[name]
    assert sidecar["HealthCheck"]["Command"] == probe
    # A start period long enough for the first rule or signature download, within ECS's 300 s.
    assert 60 <= sidecar["HealthCheck"]["StartPeriod"] <= 300
    options = sidecar["LogConfiguration"]["Options"]
    assert sidecar["LogConfiguration"]["LogDriver"] == "awslogs"
    assert options["awslogs-group"] == containers["Server"]["LogConfiguration"]["Options"]["awslogs-group"]
    assert options["awslogs-stream-prefix"].endswith(name)
    assert sidecar["LinuxParameters"]["InitProcessEnabled"] is True


@pytest.mark.parametrize(
    ("name", "paths"),
    [("spamd", {"/var/lib/spamassassin", "/tmp"}), ("clamd", {"/var/lib/clamav", "/tmp"})],
)
def test_scanners_write_only_to_task_volumes(
    scanning: assertions.Template, name: str, paths: set[str]
) -> None:
    sidecar = _containers(scanning)[name]
    assert sidecar["ReadonlyRootFilesystem"] is True
    mounts = {mount["ContainerPath"]: mount["SourceVolume"] for mount in sidecar["MountPoints"]}
    assert set(mounts) == paths
    volumes = {volume["Name"]: volume for volume in _mx_task(scanning)["Volumes"]}
    # No host path: storage of the task itself, gone with it.
    assert all(volumes[source] == {"Name": source} for source in mounts.values())


def test_clamd_reserves_the_memory_its_signatures_take(scanning: assertions.Template) -> None:
    containers = _containers(scanning)
    assert containers["clamd"]["MemoryReservation"] >= 1536
    reserved = sum(c.get("MemoryReservation", 0) for c in containers.values())
    assert reserved <= int(_mx_task(scanning)["Memory"])


def test_without_scanning_the_mx_task_runs_the_server_alone(plain_mx: assertions.Template) -> None:
    containers = _containers(plain_mx)
    assert set(containers) == {"Server"}
    assert "DependsOn" not in containers["Server"]
    assert not set(_environment(containers["Server"])) & set(ADDRESSES)
    # The server's own /tmp alone.
    assert [volume["Name"] for volume in _mx_task(plain_mx)["Volumes"]] == ["server-tmp"]


def _error(context: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        SesameConfig.from_context(context)
    return str(raised.value)


@pytest.mark.parametrize(
    ("context", "says"),
    [
        ({**SCANNING, "mx_enabled": False}, "mx_scanning_enabled needs mx_enabled"),
        ({**SCANNING, "mx_task_memory_mb": 2048}, "MX tasks of at least 3072 MB"),
        ({"mx_enabled": True, "mx_scanning_enabled": True}, "else task_memory_mb; got 512): ClamAV"),
        ({**SCANNING, "mx_task_cpu": 256}, "no task of 256 CPU units with 3072 MB"),
        ({"mx_task_memory_mb": 4096}, "with 256 units mx_task_memory_mb is one of 512, 1024, 2048"),
        (
            {"task_cpu": 256, "task_memory_mb": 4096},
            "with 256 units task_memory_mb is one of 512, 1024, 2048",
        ),
        ({"task_cpu": 2048, "task_memory_mb": 3072}, "a multiple of 1024 from 4096 to 16384"),
        ({"task_cpu": 1024, "task_memory_mb": 2500}, "no task of 1024 CPU units with 2500 MB"),
    ],
)
def test_scanning_and_task_size_errors_say_what_to_fix(context: dict[str, Any], says: str) -> None:
    assert says in _error(context)


@pytest.mark.parametrize(
    ("cpu", "memory"), [(256, 512), (256, 2048), (512, 4096), (1024, 8192), (2048, 16384), (4096, 30720)]
)
def test_every_fargate_size_is_accepted(cpu: int, memory: int) -> None:
    config = SesameConfig.from_context({"task_cpu": cpu, "task_memory_mb": memory})
    assert (config.task_cpu, config.task_memory_mb) == (cpu, memory)


def test_scanning_is_off_by_default() -> None:
    assert SesameConfig.from_context({}).mx_scanning_enabled is False


def test_the_app_with_scanning_passes_cdk_nag_and_cfn_lint(tmp_path: Path) -> None:
    main = runpy.run_path(str(ROOT / "app.py"), run_name="app")["main"]
    main(context={**NO_BUNDLING, **SCANNING}, outdir=str(tmp_path))
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])] == []
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert cfn_lint
    template = shutil.copy(tmp_path / "Sesame.template.json", tmp_path / "scanning.json")
    # W3005: DependsOn that CDK generates beside an implicit Ref dependency.
    result = subprocess.run(
        [cfn_lint, "--ignore-checks", "W3005", "--", str(template)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_mx_tasks_grow_for_scanning(scanning: assertions.Template) -> None:
    sizes = {
        logical.split("Service")[0]: (task["Properties"]["Cpu"], task["Properties"]["Memory"])
        for logical, task in scanning.find_resources("AWS::ECS::TaskDefinition").items()
    }
    mx = [size for name, size in sizes.items() if name.startswith("Mx")]
    others = [size for name, size in sizes.items() if not name.startswith("Mx")]
    assert mx == [("512", "3072")]
    assert others and all(size == ("256", "512") for size in others)


def test_the_clamd_image_carries_signatures_for_its_volume_to_start_from() -> None:
    # ECS seeds a task volume from the image's VOLUME at the same path: signatures fetched at
    # build time are there when the task starts, so it only downloads what changed since.
    dockerfile = (ROOT / "containers" / "clamd" / "Dockerfile").read_text()
    fetched = dockerfile.index("&& freshclam --config-file=/etc/clamav/freshclam.conf")
    assert "rm -rf /var/lib/clamav" not in dockerfile
    assert fetched < dockerfile.index('VOLUME ["/var/lib/clamav"')
