"""A server entry point run as a process, as its container runs it."""

from __future__ import annotations

import subprocess


def ready_fields(process: subprocess.Popen[str], announcement: str) -> dict[str, str]:
    """Read the process's output up to its ready line (``announcement ...``); its key=value fields.
    Fails with everything it printed when the process ends without announcing itself."""
    assert process.stdout is not None
    output: list[str] = []
    for line in process.stdout:
        output.append(line)
        if line.startswith(announcement):
            break
    ready = output[-1] if output else ""
    assert ready.startswith(announcement), "".join(output)
    return dict(part.split("=", 1) for part in ready.split() if "=" in part)
