"""Email templates: one store per account behind both API versions (v1 CreateTemplate and v2
CreateEmailTemplate make the same record).

SES's limits: a name of letters, digits, underscores and hyphens, at most 64 characters; at most
500 KB per template, subject, text and HTML together; at most 20,000 templates per account (a
deployment setting here). A template's text must parse as Handlebars when it is stored, so a
broken template is refused at once rather than failing every send that uses it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from sesame.domain.errors import (
    AlreadyExists,
    InvalidNextToken,
    InvalidParameterValue,
    InvalidRenderingParameter,
    InvalidTemplate,
    LimitExceeded,
    MissingRenderingAttribute,
    TemplateDoesNotExist,
)
from sesame.domain.template_rendering import (
    RenderedContent,
    RenderingError,
    TemplateContent,
    TemplateDataError,
    TemplateSyntaxError,
    check_syntax,
    parse_template_data,
    render,
)

TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_TEMPLATE_BYTES = 500 * 1024
DEFAULT_MAX_TEMPLATES = 20_000
# ListTemplates / ListEmailTemplates: 10 unless asked, never more than 100.
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100

Tag = tuple[str, str]


@dataclass(frozen=True)
class EmailTemplate:
    name: str
    content: TemplateContent
    created_at: float
    tags: tuple[Tag, ...] = ()


@dataclass(frozen=True)
class TemplateSummary:
    name: str
    created_at: float


class TemplateExists(Exception):
    """``create`` found a template of that name."""


class TemplateLimitReached(Exception):
    """``create`` would pass the account's template limit."""


class TemplateStore(Protocol):
    def create(self, account_id: str, template: EmailTemplate, *, limit: int) -> None:
        """Store a new template, counting it against ``limit`` atomically; raises TemplateExists
        or TemplateLimitReached."""
        ...

    def get(self, account_id: str, name: str) -> EmailTemplate | None: ...

    def replace(self, account_id: str, template: EmailTemplate) -> bool:
        """Replace an existing template's content; False when there is none."""
        ...

    def delete(self, account_id: str, name: str) -> bool:
        """False when there was no such template."""
        ...

    def list_page(
        self, account_id: str, *, after: str | None, limit: int
    ) -> tuple[list[TemplateSummary], bool]:
        """Up to ``limit`` templates by name after ``after``, and whether more follow."""
        ...


def validate_name(name: str) -> str:
    if not TEMPLATE_NAME.fullmatch(name or ""):
        raise InvalidParameterValue(
            "Template name must be 1 to 64 characters of letters, digits, underscores and hyphens."
        )
    return name


def validate_content(name: str, content: TemplateContent) -> TemplateContent:
    if content.size() > MAX_TEMPLATE_BYTES:
        raise InvalidParameterValue(f"Template {name} is larger than the maximum of 500 KB.")
    try:
        check_syntax(content)
    except TemplateSyntaxError as error:
        raise InvalidTemplate(f"Template {name} is not valid: {error.message}") from None
    return content


def not_found(name: str) -> TemplateDoesNotExist:
    return TemplateDoesNotExist(f"Template {name} does not exist.")


def template_name_from_arn(arn: str, *, account_id: str, region: str) -> str:
    """``arn:aws:ses:REGION:ACCOUNT:template/NAME`` of the caller's own account -> NAME.

    A template of another account could only be used under a sending authorization policy,
    which Sesame does not have: it is a template that does not exist for this caller."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "ses"] or not parts[5].startswith("template/"):
        raise InvalidParameterValue(f"Invalid template ARN: {arn}.")
    name = parts[5].removeprefix("template/")
    if parts[3] != region or parts[4] != account_id:
        raise not_found(name)
    return name


def rendered_mime(rendered: RenderedContent, now: float) -> str:
    """The preview TestRenderTemplate answers: the MIME message the parts make."""
    message = EmailMessage()
    message["Date"] = formatdate(now, usegmt=True)
    message["Subject"] = rendered.subject
    if rendered.text is not None:
        message.set_content(rendered.text)
    if rendered.html is not None:
        if rendered.text is None:
            message.set_content(rendered.html, subtype="html")
        else:
            message.add_alternative(rendered.html, subtype="html")
    return message.as_string()


def encode_page_token(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode("utf-8")).decode("ascii")


def decode_page_token(token: str) -> str:
    # Only a position inside the caller's own account (which comes from the signature), so it
    # needs no signature of its own.
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeEncodeError):
        raise InvalidNextToken("The NextToken is not valid.") from None
    if not isinstance(after, str):
        raise InvalidNextToken("The NextToken is not valid.")
    return after


class TemplateService:
    def __init__(
        self,
        store: TemplateStore,
        *,
        max_templates: int = DEFAULT_MAX_TEMPLATES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._max_templates = max_templates
        self._clock = clock

    def create(self, account_id: str, name: str, content: TemplateContent, tags: Sequence[Tag] = ()) -> None:
        """Raises AlreadyExists, LimitExceeded, InvalidTemplate, InvalidParameterValue."""
        validate_content(validate_name(name), content)
        template = EmailTemplate(name=name, content=content, created_at=self._clock(), tags=tuple(tags))
        try:
            self._store.create(account_id, template, limit=self._max_templates)
        except TemplateExists:
            raise AlreadyExists(f"Template {name} already exists.") from None
        except TemplateLimitReached:
            raise LimitExceeded(
                f"Maximum number of templates ({self._max_templates}) exceeded for this account."
            ) from None

    def get(self, account_id: str, name: str) -> EmailTemplate:
        template = self._store.get(account_id, name) if TEMPLATE_NAME.fullmatch(name or "") else None
        if template is None:
            raise not_found(name)
        return template

    def update(self, account_id: str, name: str, content: TemplateContent) -> None:
        current = self.get(account_id, name)
        validate_content(name, content)
        updated = EmailTemplate(name=name, content=content, created_at=current.created_at, tags=current.tags)
        if not self._store.replace(account_id, updated):
            raise not_found(name)

    def delete(self, account_id: str, name: str, *, missing_ok: bool) -> None:
        deleted = TEMPLATE_NAME.fullmatch(name or "") is not None and self._store.delete(account_id, name)
        if not deleted and not missing_ok:
            raise not_found(name)

    def list_templates(
        self, account_id: str, *, next_token: str | None, page_size: int | None
    ) -> tuple[list[TemplateSummary], str | None]:
        limit = min(max(page_size or DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE)
        after = decode_page_token(next_token) if next_token else None
        items, more = self._store.list_page(account_id, after=after, limit=limit)
        return items, (encode_page_token(items[-1].name) if more and items else None)

    def test_render(self, account_id: str, name: str, template_data: str) -> str:
        """The rendered MIME message; raises TemplateDoesNotExist, InvalidRenderingParameter,
        MissingRenderingAttribute."""
        template = self.get(account_id, name)
        try:
            rendered = render(template.content, parse_template_data(template_data))
        except TemplateDataError as error:
            raise InvalidRenderingParameter(error.message) from None
        except RenderingError as error:
            if error.missing_attribute:
                raise MissingRenderingAttribute(error.message) from None
            raise InvalidRenderingParameter(error.message) from None
        except TemplateSyntaxError as error:
            raise InvalidRenderingParameter(error.message) from None
        return rendered_mime(rendered, self._clock())
