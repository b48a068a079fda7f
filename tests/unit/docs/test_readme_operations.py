"""The README's table of supported operations is exactly what the API implements."""

from __future__ import annotations

import re
from pathlib import Path

import sesame.api.operations  # noqa: F401 (registers every handler)
from sesame.api.registry import implemented

README = Path(__file__).resolve().parents[3] / "README.md"


def _table() -> dict[int, set[str]]:
    text = README.read_text()
    section = text[text.index("## Supported operations") :]
    listed: dict[int, set[str]] = {1: set(), 2: set()}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("area", "---"):
            continue
        for version, cell in ((2, cells[1]), (1, cells[2])):
            listed[version] |= set(re.findall(r"\b[A-Z][A-Za-z0-9]+\b", cell))
    return listed


def test_the_readme_lists_every_implemented_operation_and_nothing_else() -> None:
    listed = _table()
    for version in (1, 2):
        actual = {name for v, name in implemented() if v == version}
        assert listed[version] == actual, f"v{version}: README differs from the API"
