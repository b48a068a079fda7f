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

import pytest
from infra_support import FULL_CONTEXT, NO_BUNDLING, ROOT


@dataclass
class Synth:
    outdir: Path
    error: BaseException | None

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.outdir / "validation-report.json").read_text())

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
    }


@pytest.mark.parametrize("stack_name", ["Sesame", "SesameFull"])
def test_cdk_nag_finds_nothing_unacknowledged(synths: dict[str, Synth], stack_name: str) -> None:
    synth = synths[stack_name]
    # cdk-nag 3 fails synth with "ValidationFailed" on any unacknowledged finding.
    report = synth.report if (synth.outdir / "validation-report.json").exists() else None
    assert synth.error is None, f"synth failed: {synth.error!r}\n{json.dumps(report, indent=1)[:4000]}"
    assert report is not None
    violations = [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])]
    assert violations == []
    assert synth.template(stack_name).exists()


def test_cfn_lint_passes(synths: dict[str, Synth], tmp_path: Path) -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is in the cdk dependency group"
    templates = []
    for name, synth in synths.items():
        assert synth.error is None
        # Copied out of the cloud assembly so cfn-lint sees just the templates.
        templates.append(shutil.copy(synth.template(name), tmp_path / f"{name}.json"))
    # W3005: DependsOn that CDK itself generates alongside an implicit Ref dependency.
    result = subprocess.run(
        [cfn_lint, "--ignore-checks", "W3005", "--", *templates],
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
