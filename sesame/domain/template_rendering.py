"""Rendering email templates as SES does: Handlebars over the JSON object given as TemplateData.

The engine is ``dotpromptz_handlebars``, a Handlebars implementation that interprets a parsed
template: template text never becomes code, and data is only ever read as JSON (mappings and
lists, never attributes of Python objects). SES's rules on top of it:

- ``{{var}}``, ``{{a.b}}``, ``{{#if}}``/``{{else}}``, ``{{#unless}}``, ``{{#each}}`` with
  ``{{this}}`` and ``@index``, ``{{#with}}``, comments and inline partials work as in Handlebars.
- Printing an attribute the data does not hold fails the rendering ("Attribute 'x' is not
  present in the rendering data."); testing one with ``{{#if}}`` does not.
- The HTML part escapes what it prints (``{{{raw}}}`` does not); subject and text print as is.
- TemplateData must be a JSON object.

Parsed templates are cached by their text, so a bulk send parses each part once. Rendering is
bounded: every attribute lookup and every list item visited spends one step of a fixed budget,
so a template cannot make a small data object cost unbounded work (nested loops over a long list).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dotpromptz_handlebars import Handlebars, HelperOptions, StrictModeError

# Steps (attribute lookups plus list items visited) one part may take to render. A 5 KB
# newsletter listing 500 products of 20 attributes takes about 10,000.
RENDER_STEPS = 200_000
# Nesting of blocks and partials in one template.
MAX_DEPTH = 100


class RenderingError(Exception):
    """The template could not be rendered with this data. ``missing_attribute`` tells SES's
    MissingRenderingAttribute apart from other failures."""

    def __init__(self, message: str, *, missing_attribute: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.missing_attribute = missing_attribute


class TemplateDataError(Exception):
    """TemplateData that is not a JSON object."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateSyntaxError(Exception):
    def __init__(self, part: str, detail: str) -> None:
        super().__init__(f"The {part} part of the template is not valid: {detail}")
        self.message = str(self)


@dataclass(frozen=True)
class TemplateContent:
    """A template's three parts, each Handlebars text (None: the part is absent)."""

    subject: str | None = None
    text: str | None = None
    html: str | None = None

    def size(self) -> int:
        """Bytes of the three parts together, as SES counts a template's size."""
        return sum(len(part.encode("utf-8")) for part in (self.subject, self.text, self.html) if part)


@dataclass(frozen=True)
class RenderedContent:
    subject: str
    text: str | None = None
    html: str | None = None


# --- the engine ---------------------------------------------------------------------------------


def _silent_log(args: list[Any], options: HelperOptions) -> str:
    # Handlebars' log helper prints; template text must not write to the service's output.
    return ""


def _engine(*, escape_html: bool) -> Handlebars:
    engine = Handlebars(strict=True, escape_html=escape_html, max_depth=MAX_DEPTH)
    engine.register_helper("log", _silent_log)
    return engine


_HTML_ENGINE = _engine(escape_html=True)
_PLAIN_ENGINE = _engine(escape_html=False)
# "{{#* inline" is how SES's guide writes inline partials; the engine wants "{{#*inline".
_INLINE_PARTIAL = re.compile(r"\{\{(~?)#\*\s+inline\b")

Renderer = Callable[..., str]


@functools.lru_cache(maxsize=1024)
def _compiled(source: str, html: bool) -> Renderer:
    engine = _HTML_ENGINE if html else _PLAIN_ENGINE
    renderer: Renderer = engine.compile(_INLINE_PARTIAL.sub(r"{{\1#*inline", source))
    return renderer


def _compile(part: str, source: str, *, html: bool) -> Renderer:
    try:
        return _compiled(source, html)
    except (ValueError, RecursionError) as error:
        raise TemplateSyntaxError(part, str(error)) from None


def check_syntax(content: TemplateContent) -> None:
    """Raise TemplateSyntaxError when a part is not a template (an unclosed block, a bad tag)."""
    for part, source, html in _parts(content):
        _compile(part, source, html=html)


def _parts(content: TemplateContent) -> list[tuple[str, str, bool]]:
    parts = [("subject", content.subject, False), ("text", content.text, False), ("html", content.html, True)]
    return [(name, source, html) for name, source, html in parts if source is not None]


# --- the data ------------------------------------------------------------------------------------


class _Budget:
    __slots__ = ("remaining",)

    def __init__(self, steps: int) -> None:
        self.remaining = steps

    def spend(self) -> None:
        self.remaining -= 1
        if self.remaining < 0:
            raise RenderingError(f"Rendering takes more than {RENDER_STEPS} steps.")


class _Object(dict[str, Any]):
    """A JSON object whose lookups spend the budget (the engine asks ``in`` before reading)."""

    __slots__ = ("_budget",)

    def __init__(self, items: Mapping[str, Any], budget: _Budget) -> None:
        super().__init__(items)
        self._budget = budget

    def __contains__(self, key: object) -> bool:
        self._budget.spend()
        return dict.__contains__(self, key)

    def items(self) -> Any:  # what {{#each}} over an object walks
        pairs = list(dict.items(self))
        for _ in pairs:
            self._budget.spend()
        return pairs


class _Array(list[Any]):
    """A JSON array whose every visited item spends the budget."""

    __slots__ = ("_budget",)

    def __init__(self, items: list[Any], budget: _Budget) -> None:
        super().__init__(items)
        self._budget = budget

    def __iter__(self) -> Iterator[Any]:
        for item in list.__iter__(self):
            self._budget.spend()
            yield item


def _metered(value: Any, budget: _Budget) -> Any:
    if isinstance(value, dict):
        return _Object({key: _metered(item, budget) for key, item in value.items()}, budget)
    if isinstance(value, list):
        return _Array([_metered(item, budget) for item in value], budget)
    return value


def parse_template_data(text: str | None) -> dict[str, Any]:
    """TemplateData as a dict; raises TemplateDataError unless it is a JSON object."""
    if text is None or not text.strip():
        raise TemplateDataError("Template data is required and must be a JSON object.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise TemplateDataError("Template data is not valid JSON.") from None
    if not isinstance(data, dict):
        raise TemplateDataError("Template data must be a JSON object.")
    return data


# --- rendering -----------------------------------------------------------------------------------


def _run(renderer: Renderer, data: Any) -> str:
    try:
        return renderer(data)
    except StrictModeError as missing:
        raise RenderingError(
            f"Attribute '{missing.path}' is not present in the rendering data.", missing_attribute=True
        ) from None
    except RenderingError:
        raise
    except (ValueError, RecursionError, TypeError) as error:
        raise RenderingError(f"The template could not be rendered: {error}") from None


def render(content: TemplateContent, data: Mapping[str, Any]) -> RenderedContent:
    """Render each part; raises RenderingError, or TemplateSyntaxError for broken text."""
    renderers = [(part, _compile(part, source, html=html)) for part, source, html in _parts(content)]
    metered = _metered(dict(data), _Budget(RENDER_STEPS))
    rendered = {part: _run(renderer, metered) for part, renderer in renderers}
    return RenderedContent(
        subject=rendered.get("subject", ""), text=rendered.get("text"), html=rendered.get("html")
    )
