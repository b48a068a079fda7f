"""The HTTP request and response every front end (API Gateway, local server) turns into and from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request exactly as it arrived: SigV4 signs the raw form, so nothing is normalized.

    ``path`` is the raw (percent-encoded) path, ``query_string`` the raw query without ``?``,
    ``headers`` has lower-case names (repeated headers joined with ``,``).
    """

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes
    source_ip: str = ""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
