"""Container images of the SMTP tiers, built from containers/TIER/Dockerfile at deploy time.

Synth only stages the build context (``ContainerImage.from_asset`` hashes and copies it): no Docker
is needed to synthesize, and the image is built and pushed by ``cdk deploy``. The build context is
the repository root, reduced to what the Dockerfiles copy, so the asset hash changes only when
they do.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The build context: the repository root without what the images never copy. Named one by one
# rather than "everything but": a pattern re-including files would make the asset hashing walk
# every excluded folder (the virtualenv holds a gigabyte) to look for them. Whatever else lands in
# the context is not copied by the Dockerfiles; it only enters the hash.
CONTEXT_EXCLUDE = [
    ".venv",
    ".git",
    ".ci",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "node_modules",
    "cdk.out",
    "tests",
    "benchmarks",
    "stacks",
    "lambdas",
    "*.egg-info",
    "app.py",
    "cdk.json",
    "cdk.context.json",
    "package.json",
    "package-lock.json",
    "Makefile",
    "**/__pycache__",
    "**/*.pyc",
]


def dockerfile(tier: str, project_root: Path = PROJECT_ROOT) -> Path:
    return project_root / "containers" / tier / "Dockerfile"


def has_dockerfile(tier: str, project_root: Path = PROJECT_ROOT) -> bool:
    return dockerfile(tier, project_root).is_file()


def tier_image(tier: str, project_root: Path = PROJECT_ROOT) -> ecs.ContainerImage:
    """The image of one tier; raises when its Dockerfile is missing, naming the path."""
    path = dockerfile(tier, project_root)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the {tier} tier cannot be built without it")
    return ecs.ContainerImage.from_asset(
        str(project_root),
        file=str(path.relative_to(project_root)),
        exclude=CONTEXT_EXCLUDE,
        ignore_mode=cdk.IgnoreMode.GLOB,
        # x86_64: the image builds on any deploying machine without emulation.
        platform=cdk.aws_ecr_assets.Platform.LINUX_AMD64,
    )


def sidecar_image(name: str, project_root: Path = PROJECT_ROOT) -> ecs.ContainerImage:
    """The image of a sidecar built from containers/NAME alone: its Dockerfile copies nothing from
    the rest of the repository, so its asset hash changes only with that directory."""
    directory = project_root / "containers" / name
    if not (directory / "Dockerfile").is_file():
        raise FileNotFoundError(f"{directory / 'Dockerfile'} is missing: the {name} sidecar cannot be built")
    return ecs.ContainerImage.from_asset(
        str(directory),
        platform=cdk.aws_ecr_assets.Platform.LINUX_AMD64,
    )
