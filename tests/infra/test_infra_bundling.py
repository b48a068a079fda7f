"""Lambda bundling without Docker: what goes into the asset and how pip is asked for it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from infra_support import NO_BUNDLING, ROOT

from stacks.bundling import (
    ASSET_EXCLUDE,
    LocalPythonBundling,
    lambda_code,
    platform_tags,
    python_version,
    runtime_dependencies,
)
from stacks.function import ARCHITECTURE, RUNTIME


def test_dependencies_are_pyprojects_own_list() -> None:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        declared = tomllib.load(handle)["project"]["dependencies"]
    assert runtime_dependencies() == declared
    # The protocol layer serializes from botocore's models: our pinned botocore goes in the zip.
    assert any(dep.startswith("botocore") for dep in declared)


def test_lambda_platform() -> None:
    assert python_version(RUNTIME) == RUNTIME.name.removeprefix("python")
    assert python_version(lambda_.Runtime.PYTHON_3_12) == "3.12"
    assert "manylinux2014_aarch64" in platform_tags(ARCHITECTURE)
    assert platform_tags(lambda_.Architecture.X86_64)[-1] == "manylinux2014_x86_64"
    with pytest.raises(ValueError, match="not a Python"):
        python_version(lambda_.Runtime.NODEJS_22_X)


def test_asset_is_only_the_code_and_the_dependency_list() -> None:
    # gitignore semantics: exclude everything, re-include the packages, then drop bytecode.
    assert ASSET_EXCLUDE[0] == "*"
    assert {"!sesame/**", "!lambdas/**", "!pyproject.toml"} <= set(ASSET_EXCLUDE)
    assert ASSET_EXCLUDE[-2:] == ["**/__pycache__", "**/*.pyc"]


def _project(tmp_path: Path, *, with_lambdas: bool = True) -> Path:
    root = tmp_path / "project"
    (root / "sesame" / "__pycache__").mkdir(parents=True)
    (root / "sesame" / "__init__.py").write_text("")
    (root / "sesame" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    if with_lambdas:
        (root / "lambdas").mkdir()
        (root / "lambdas" / "api.py").write_text("def handler(event, context): ...\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["boto3>=1.40", "dkimpy>=1.1.5"]\n'
    )
    (root / "README.md").write_text("not in the asset")
    return root


def test_local_bundling_copies_the_code_and_installs_for_lambda(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def run(command: list[str], **kwargs: Any) -> None:
        assert kwargs == {"check": True}
        calls.append(command)

    out = tmp_path / "out"
    out.mkdir()
    bundling = LocalPythonBundling(
        project_root=_project(tmp_path), python="3.14", platforms=["manylinux2014_aarch64"], run=run
    )
    assert bundling.try_bundle(str(out), None) is True

    assert (out / "sesame" / "__init__.py").exists()
    assert (out / "lambdas" / "api.py").exists()
    assert not (out / "sesame" / "__pycache__").exists()
    assert not (out / "README.md").exists()

    wheel, install = calls
    # Pure-Python sdists (dkimpy) first become wheels the cross-platform install accepts.
    assert wheel[1:4] == ["-m", "pip", "wheel"] and "--no-deps" in wheel
    assert wheel[-2:] == ["boto3>=1.40", "dkimpy>=1.1.5"]
    assert install[1:4] == ["-m", "pip", "install"]
    assert install[install.index("--target") + 1] == str(out)
    assert install[install.index("--platform") + 1] == "manylinux2014_aarch64"
    assert install[install.index("--python-version") + 1] == "3.14"
    assert "--only-binary=:all:" in install
    assert install[install.index("--find-links") + 1] == wheel[wheel.index("--wheel-dir") + 1]
    assert install[-2:] == ["boto3>=1.40", "dkimpy>=1.1.5"]


def test_local_bundling_refuses_to_ship_without_handlers(tmp_path: Path) -> None:
    bundling = LocalPythonBundling(
        project_root=_project(tmp_path, with_lambdas=False),
        python="3.14",
        platforms=["manylinux2014_aarch64"],
        run=lambda *a, **k: pytest.fail("pip must not run"),
    )
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError, match="lambdas has no Python modules"):
        bundling.try_bundle(str(out), None)


def _asset_key(project_root: Path) -> str:
    app = cdk.App(context=NO_BUNDLING)
    stack = cdk.Stack(app, "Bundle")
    code = lambda_code(runtime=RUNTIME, architecture=ARCHITECTURE, project_root=project_root)
    lambda_.Function(stack, "Fn", code=code, handler="lambdas.api.handler", runtime=RUNTIME)
    template = app.synth().get_stack_by_name("Bundle").template
    (function,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    return str(function["Properties"]["Code"]["S3Key"])


def test_asset_hash_covers_the_code_and_nothing_else(tmp_path: Path) -> None:
    # SOURCE hashing lets a warm synth skip pip; it must still notice every change that matters.
    root = _project(tmp_path)
    (root / "sesame" / "domain").mkdir()
    base = _asset_key(root)
    (root / "README.md").write_text("changed")
    (root / "sesame" / "__pycache__" / "y.cpython-311.pyc").write_bytes(b"x")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "big.js").write_text("x")
    assert _asset_key(root) == base
    for changed in ("sesame/domain/new.py", "lambdas/api.py", "pyproject.toml"):
        path = root / changed
        original = path.read_text() if path.exists() else None
        path.write_text((original or "") + "\n# changed\n")
        assert _asset_key(root) != base, changed
        if original is None:
            path.unlink()
        else:
            path.write_text(original)
    assert _asset_key(root) == base
