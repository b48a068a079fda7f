"""Which REST-JSON operation a method and path name, from the models' ``requestUri`` templates.

A template such as ``/v2/email/identities/{EmailIdentity}/dkim`` matches segment by segment:
literals exactly, ``{Label}`` one non-empty segment (percent-decoded after splitting, so an
encoded ``%2F`` stays inside the label), ``{Label+}`` the rest of the path. A ``?name`` or
``?name=value`` suffix on a template must be present in the query string. Templates with more
literal segments are tried first, so ``/templates/{Name}/render`` never loses to a looser one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class _Label:
    name: str
    greedy: bool


@dataclass(frozen=True)
class Route:
    method: str
    operation: str
    segments: tuple[str | _Label, ...]
    required_query: tuple[tuple[str, str | None], ...]
    # Body members this route carries in the query string instead (older clients' routes).
    query_members: tuple[str, ...] = ()

    @property
    def specificity(self) -> tuple[int, int, int]:
        literals = sum(1 for segment in self.segments if isinstance(segment, str))
        greedy = any(isinstance(s, _Label) and s.greedy for s in self.segments)
        return (literals, len(self.required_query), 0 if greedy else 1)


@dataclass(frozen=True)
class RouteMatch:
    operation: str
    labels: dict[str, str]
    query_members: tuple[str, ...] = ()


def _split_path(path: str) -> list[str]:
    # Trailing slashes are not significant: some templates end in one, some clients drop it.
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def parse_template(
    method: str, operation: str, request_uri: str, query_members: tuple[str, ...] = ()
) -> Route:
    path, _, query = request_uri.partition("?")
    segments: list[str | _Label] = []
    for part in _split_path(path):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            greedy = name.endswith("+")
            segments.append(_Label(name.rstrip("+"), greedy))
        else:
            segments.append(part)
    required: list[tuple[str, str | None]] = []
    for item in filter(None, query.split("&")):
        name, has_value, value = item.partition("=")
        required.append((name, value if has_value else None))
    return Route(method.upper(), operation, tuple(segments), tuple(required), query_members)


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._by_method: dict[str, list[Route]] = {}
        for route in routes:
            self._by_method.setdefault(route.method, []).append(route)
        for candidates in self._by_method.values():
            candidates.sort(key=lambda r: r.specificity, reverse=True)

    def match(self, method: str, raw_path: str, query: Mapping[str, list[str]]) -> RouteMatch | None:
        """The operation for ``method`` and the raw (still percent-encoded) ``raw_path``."""
        parts = _split_path(raw_path)
        for route in self._by_method.get(method.upper(), ()):
            labels = _match_segments(route.segments, parts)
            if labels is not None and _has_query(route.required_query, query):
                return RouteMatch(route.operation, labels, route.query_members)
        return None


def _match_segments(segments: tuple[str | _Label, ...], parts: list[str]) -> dict[str, str] | None:
    labels: dict[str, str] = {}
    for index, segment in enumerate(segments):
        if isinstance(segment, _Label) and segment.greedy:
            rest = parts[index:]
            if not rest or index != len(segments) - 1:
                return None
            labels[segment.name] = unquote("/".join(rest))
            return labels
        if index >= len(parts):
            return None
        part = parts[index]
        if isinstance(segment, str):
            if part != segment:
                return None
        elif part:
            labels[segment.name] = unquote(part)
        else:
            return None
    return labels if len(parts) == len(segments) else None


def _has_query(required: tuple[tuple[str, str | None], ...], query: Mapping[str, list[str]]) -> bool:
    for name, value in required:
        values = query.get(name)
        if values is None or (value is not None and value not in values):
            return False
    return True
