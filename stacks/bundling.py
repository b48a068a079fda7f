"""Lambda code asset, bundled on this machine without Docker.

The asset is ``sesame/`` and ``lambdas/`` plus the runtime dependencies from pyproject.toml's
``[project].dependencies``, installed for the Lambda platform (Linux, the function's architecture
and Python version) with pip's cross-platform options. boto3 and botocore are bundled although the
Lambda runtime ships them: the runtime's copy may lag the botocore service models our protocol layer
serializes from, and the pinned range in pyproject is the one the tests ran against.

The asset hash is the hash of the source (``AssetHashType.SOURCE``) over just the files that go in
(sesame/, lambdas/, pyproject.toml), so a warm synth with unchanged sources skips pip entirely.
Tests skip bundling with the context ``{"aws:cdk:bundling-stacks": []}``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The folders copied into the asset: the runtime package and the thin handlers.
SOURCE_PACKAGES = ("sesame", "lambdas")

# Only these go into the asset and its source hash. Later patterns win (gitignore semantics), so
# the trailing ones drop bytecode from the folders re-included before them.
ASSET_EXCLUDE = [
    "*",
    *(f"!{package}" for package in SOURCE_PACKAGES),
    *(f"!{package}/**" for package in SOURCE_PACKAGES),
    "!pyproject.toml",
    "**/__pycache__",
    "**/*.pyc",
]

# Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34). manylinux2014 (glibc 2.17)
# alone would refuse wheels that are only published for newer glibc, so all three tags are offered.
_MANYLINUX = ("manylinux_2_34", "manylinux_2_28", "manylinux2014")
_MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}

Runner = Callable[..., Any]


def runtime_dependencies(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> list[str]:
    """The requirement strings of ``[project].dependencies``: the one list, not a copy of it."""
    with pyproject.open("rb") as handle:
        data = tomllib.load(handle)
    dependencies = data.get("project", {}).get("dependencies")
    if not isinstance(dependencies, list) or not all(isinstance(dep, str) for dep in dependencies):
        raise ValueError(f"{pyproject}: [project].dependencies must be a list of requirement strings")
    return list(dependencies)


def python_version(runtime: lambda_.Runtime) -> str:
    """'3.14' for Runtime.PYTHON_3_14."""
    name = runtime.name
    if runtime.family != lambda_.RuntimeFamily.PYTHON or not name.startswith("python"):
        raise ValueError(f"not a Python Lambda runtime: {name}")
    return name.removeprefix("python")


def platform_tags(architecture: lambda_.Architecture) -> list[str]:
    machine = _MACHINES[architecture.name]
    return [f"{tag}_{machine}" for tag in _MANYLINUX]


def pip_install_command(
    *,
    target: str,
    requirements: Sequence[str],
    python: str,
    platforms: Sequence[str],
    find_links: str | None = None,
) -> list[str]:
    """pip installing wheels for the Lambda platform, whatever platform this machine is."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", target]
    for platform in platforms:
        command += ["--platform", platform]
    command += ["--implementation", "cp", "--python-version", python, "--only-binary=:all:"]
    if find_links:
        command += ["--find-links", find_links]
    return [*command, *requirements]


def pip_wheel_command(*, wheel_dir: str, requirements: Sequence[str]) -> list[str]:
    """Wheels for the direct dependencies. Some (dkimpy) publish only an sdist, which the
    cross-platform install above refuses; building them here turns the pure-Python ones into
    py3-none-any wheels it accepts. Binary wheels this fetches for the build machine do not match
    the Lambda platform tags and are ignored by the install."""
    return [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", wheel_dir,
            *requirements]  # fmt: skip


@jsii.implements(cdk.ILocalBundling)
class LocalPythonBundling:
    """Builds the asset with this machine's pip: no Docker needed at synth."""

    def __init__(
        self,
        *,
        project_root: Path,
        python: str,
        platforms: Sequence[str],
        run: Runner = subprocess.run,
    ) -> None:
        self._root = project_root
        self._python = python
        self._platforms = list(platforms)
        self._run = run

    def try_bundle(self, output_dir: str, options: Any) -> bool:
        # `options` carries the Docker settings of the fallback; local bundling needs none of them.
        out = Path(output_dir)
        for package in SOURCE_PACKAGES:
            source = self._root / package
            if not (source / "__init__.py").exists() and not any(source.glob("*.py")):
                raise RuntimeError(
                    f"Lambda bundling: {source} has no Python modules; the handlers "
                    "(lambdas.api, lambdas.identity_checker, lambdas.delivery_worker) must exist before "
                    "`cdk synth` bundles"
                )
            shutil.copytree(source, out / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        requirements = runtime_dependencies(self._root / "pyproject.toml")
        with tempfile.TemporaryDirectory(prefix="sesame-wheels-") as wheels:
            self._run(pip_wheel_command(wheel_dir=wheels, requirements=requirements), check=True)
            self._run(
                pip_install_command(
                    target=str(out),
                    requirements=requirements,
                    python=self._python,
                    platforms=self._platforms,
                    find_links=wheels,
                ),
                check=True,
            )
        # Console scripts and data files are of no use inside a function.
        for unused in ("bin", "share"):
            shutil.rmtree(out / unused, ignore_errors=True)
        return True


def lambda_code(
    *,
    runtime: lambda_.Runtime,
    architecture: lambda_.Architecture,
    project_root: Path = PROJECT_ROOT,
) -> lambda_.Code:
    """The one code asset that every Sesame function runs (each picks its handler)."""
    python = python_version(runtime)
    platforms = platform_tags(architecture)
    output = cdk.AssetStaging.BUNDLING_OUTPUT_DIR
    # The Docker fallback never runs while local bundling succeeds (it raises rather than declining),
    # but CDK requires an image, and the command doubles as the recipe's documentation. It also
    # carries the Python version and platform, which thereby enter the asset hash.
    docker_recipe = (
        "python -c \"import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))"
        "['project']['dependencies']))\" > /tmp/requirements.txt"
        f" && pip install --no-compile -r /tmp/requirements.txt -t {output}"
        f" && cp -r {' '.join(SOURCE_PACKAGES)} {output}/"
        f" # python {python} {' '.join(platforms)}"
    )
    return lambda_.Code.from_asset(
        str(project_root),
        exclude=ASSET_EXCLUDE,
        asset_hash_type=cdk.AssetHashType.SOURCE,
        bundling=cdk.BundlingOptions(
            image=runtime.bundling_image,
            platform=architecture.docker_platform,
            command=["bash", "-c", docker_recipe],
            # jsii calls try_bundle(output_dir, options) positionally; its generated stub spells the
            # options struct out as keyword arguments, which no implementation can match for mypy.
            local=LocalPythonBundling(  # type: ignore[arg-type]
                project_root=project_root, python=python, platforms=platforms
            ),
        ),
    )
