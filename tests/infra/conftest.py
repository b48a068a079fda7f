"""Shared helpers for the CDK tests: synth offline, bundling skipped, one build per module."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# `stacks` and `app.py` live at the repository root, which is not an installed package; the test
# modules share infra_support.py. Both on sys.path whatever pytest's import mode.
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
# Every jsii process on Node 20 prints an end-of-life banner otherwise.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


# One synth per configuration for the whole run: the first costs ~3.5 s, later ones < 1 s. Imported
# here, after sys.path is set up.
from aws_cdk import assertions  # noqa: E402
from infra_support import FULL_CONTEXT, IMPORTED_ZONE_CONTEXT, template_for  # noqa: E402


@pytest.fixture(scope="session")
def default() -> assertions.Template:
    return template_for({})


@pytest.fixture(scope="session")
def full() -> assertions.Template:
    return template_for(FULL_CONTEXT)


@pytest.fixture(scope="session")
def imported_zone() -> assertions.Template:
    return template_for(IMPORTED_ZONE_CONTEXT)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.infra)
