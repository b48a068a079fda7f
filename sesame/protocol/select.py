"""Which wire protocol a request speaks, from its path alone (before authentication)."""

from __future__ import annotations

from sesame.protocol.http import HttpRequest
from sesame.protocol.query import QueryProtocol
from sesame.protocol.restjson import RestJsonProtocol
from sesame.protocol.wire import WireProtocol

# Stateless: the models behind them load on first use, once per process.
_QUERY = QueryProtocol()
_REST_JSON = RestJsonProtocol()


def protocol_for(request: HttpRequest) -> WireProtocol | None:
    """SES v2 lives under ``/v2/``, SES v1 at ``/``; any other path is no SES API at all."""
    if request.path.startswith("/v2/"):
        return _REST_JSON
    if request.path in ("", "/"):
        return _QUERY
    return None


def warm() -> None:
    """Load both models (and v2's route table) now rather than on the first request."""
    from sesame.protocol import query, restjson

    query.warm()
    restjson.warm()
