"""The table of implemented operations: (API version, operation name) -> handler.

Handlers register with ``@operation(version, name)``; ``sesame.api.operations`` imports every
handler module by name, and a unit test checks each registered name against botocore's model, so
nothing is found by naming convention alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services

Params = dict[str, Any]
Output = dict[str, Any]
Handler = Callable[["Services", "RequestContext", Params], Output]

_HANDLERS: dict[tuple[int, str], Handler] = {}


def operation(version: int, name: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of operation ``name`` of API ``version`` (1 or 2)."""

    def register(fn: Handler) -> Handler:
        key = (version, name)
        if key in _HANDLERS:
            raise RuntimeError(f"operation registered twice: v{version} {name}")
        _HANDLERS[key] = fn
        return fn

    return register


def handler_for(version: int, name: str) -> Handler | None:
    return _HANDLERS.get((version, name))


def implemented() -> set[tuple[int, str]]:
    return set(_HANDLERS)
