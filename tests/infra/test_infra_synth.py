"""The whole app as `cdk synth` runs it: app.py, cdk.json's context, cdk-nag, then cfn-lint."""

from __future__ import annotations

import json
import runpy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from infra_support import DNS_CONTEXT, FULL_CONTEXT, NO_BUNDLING, ROOT


@dataclass
class Synth:
    outdir: Path
    error: BaseException | None

    @property
    def report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return report

    def template(self, stack_name: str) -> Path:
        return self.outdir / f"{stack_name}.template.json"


def _run_app(outdir: Path, context: dict[str, Any]) -> Synth:
    """Run app.py's main() as `cdk synth` would, with the context the CLI would pass."""
    main = runpy.run_path(str(ROOT / "app.py"), run_name="app")["main"]
    try:
        main(context={**NO_BUNDLING, **context}, outdir=str(outdir))
    except (Exception, SystemExit) as error:
        return Synth(outdir, error)
    return Synth(outdir, None)


@pytest.fixture(scope="module")
def synths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Synth]]:
    yield {
        "Sesame": _run_app(tmp_path_factory.mktemp("default"), {}),
        "SesameFull": _run_app(tmp_path_factory.mktemp("full"), FULL_CONTEXT),
        "SesameMail": _run_app(tmp_path_factory.mktemp("mail"), DNS_CONTEXT),
    }


@pytest.mark.parametrize("stack_name", ["Sesame", "SesameFull", "SesameMail"])
def test_cdk_nag_finds_nothing_unacknowledged(synths: dict[str, Synth], stack_name: str) -> None:
    synth = synths[stack_name]
    # cdk-nag 3 fails synth with "ValidationFailed" on any unacknowledged finding.
    report = synth.report if (synth.outdir / "validation-report.json").exists() else None
    assert synth.error is None, f"synth failed: {synth.error!r}\n{json.dumps(report, indent=1)[:4000]}"
    assert report is not None
    violations = [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])]
    assert violations == []
    assert synth.template(stack_name).exists()


@dataclass(frozen=True)
class Acknowledged:
    path: str  # the construct acknowledged on; it covers the constructs under it
    finding: str  # cdk-nag's rule name, with the finding in brackets when it has one
    reason: str


@pytest.fixture(scope="module")
def unacknowledged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Synth, list[Acknowledged]]:
    """The full app synthesized with every acknowledgement recorded instead of made: cdk-nag then
    reports every finding the acknowledgements silence."""
    acknowledged: list[Acknowledged] = []
    real_of = cdk.Validations.of

    class Recording:
        def __init__(self, scope: Any) -> None:
            self._scope = scope

        def acknowledge(self, *acknowledgments: cdk.Acknowledgment) -> None:
            for item in acknowledgments:
                acknowledged.append(Acknowledged(self._scope.node.path, item.id, item.reason))

        def __getattr__(self, name: str) -> Any:  # add_plugins and the rest: the real thing
            return getattr(real_of(self._scope), name)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cdk.Validations, "of", Recording)
        synth = _run_app(tmp_path_factory.mktemp("unacknowledged"), FULL_CONTEXT)
    return synth, acknowledged


def test_every_acknowledgement_silences_a_real_finding_for_one_reason(
    unacknowledged: tuple[Synth, list[Acknowledged]],
) -> None:
    synth, acknowledged = unacknowledged
    assert isinstance(synth.error, RuntimeError) and "ValidationFailed" in str(synth.error)
    findings = {
        (construct["constructPath"], violation["ruleName"])
        for plugin in synth.report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    }

    def covers(ack: Acknowledged, finding: tuple[str, str]) -> bool:
        path, rule = finding
        return rule == ack.finding and (path == ack.path or path.startswith(f"{ack.path}/"))

    assert acknowledged
    stale = [ack for ack in acknowledged if not any(covers(ack, finding) for finding in findings)]
    assert stale == [], "acknowledgements of findings that do not occur"
    assert all(any(covers(ack, finding) for ack in acknowledged) for finding in findings)
    # One finding, one reason: where several grants acknowledge the same finding on one role,
    # the last reason would silently replace the others.
    reasons: dict[tuple[str, str], set[str]] = {}
    for ack in acknowledged:
        assert len(ack.reason) >= 40, ack
        reasons.setdefault((ack.path, ack.finding), set()).add(ack.reason)
    assert {key: texts for key, texts in reasons.items() if len(texts) > 1} == {}


def test_cfn_lint_passes(synths: dict[str, Synth], tmp_path: Path) -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is in the cdk dependency group"
    templates = []
    for name, synth in synths.items():
        assert synth.error is None
        # Copied out of the cloud assembly so cfn-lint sees just the templates.
        templates.append(shutil.copy(synth.template(name), tmp_path / f"{name}.json"))
    # W3005: DependsOn that CDK itself generates alongside an implicit Ref dependency. W3010:
    # availability zones written out, which a stack pinned to an account and region must do for
    # synth to look nothing up.
    result = subprocess.run(
        [cfn_lint, "--ignore-checks", "W3005", "W3010", "--", *templates],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_config_stops_app_py_with_the_reason(tmp_path: Path) -> None:
    synth = _run_app(tmp_path, {"api_memory_mb": -1, "dkim_signing_zone": "not a zone"})
    assert isinstance(synth.error, SystemExit)
    message = str(synth.error.code)
    assert "api_memory_mb: Input should be greater than or equal to 128" in message
    assert "dkim_signing_zone" in message
    assert not (tmp_path / "manifest.json").exists()
