"""Custom verification email templates: the account's own message for verifying an address, sent
from one of its verified identities, and where the visitor goes after following the link.

SES's rules: at most 50 templates per account; the From address must be a verified identity;
the content is HTML of less than 10 MB with a limited set of tags and no script; sending one
requires production access. The message goes through the sending pipeline as the account's own
mail (its identity, DKIM key, quota and events), carrying a signed link that names the template,
so the verification page can redirect to its SuccessRedirectionURL or FailureRedirectionURL.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import urlsplit

from sesame.domain.accounts import AccountService
from sesame.domain.errors import (
    CustomVerificationEmailInvalidContent,
    CustomVerificationEmailTemplateAlreadyExists,
    CustomVerificationEmailTemplateDoesNotExist,
    FromEmailAddressNotVerified,
    InvalidParameterValue,
    LimitExceeded,
    ProductionAccessNotGranted,
)
from sesame.domain.identities import IdentityService
from sesame.domain.sending.content import SimpleContent, TextPart
from sesame.domain.sending.service import Sender, SendingService, SendRequest
from sesame.domain.templates import (
    TEMPLATE_NAME,
    Tag,
    TemplateExists,
    TemplateLimitReached,
    decode_page_token,
    encode_page_token,
    validate_name,
)

MAX_VERIFICATION_TEMPLATES = 50
MAX_CONTENT_BYTES = 10 * 1024 * 1024
MAX_PAGE_SIZE = 50

# The HTML SES accepts in a custom verification email (its developer guide's list).
ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "acronym",
        "address",
        "area",
        "b",
        "bdo",
        "big",
        "blockquote",
        "body",
        "br",
        "button",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "dfn",
        "dir",
        "div",
        "dl",
        "dt",
        "em",
        "fieldset",
        "font",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "hr",
        "html",
        "i",
        "img",
        "input",
        "ins",
        "kbd",
        "label",
        "legend",
        "li",
        "map",
        "menu",
        "meta",
        "ol",
        "optgroup",
        "option",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "select",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "tt",
        "u",
        "ul",
        "var",
    }
)
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "background", "cite", "longdesc", "usemap"})


@dataclass(frozen=True)
class VerificationTemplate:
    name: str
    from_address: str
    subject: str
    content: str
    success_url: str
    failure_url: str
    created_at: float = 0.0
    tags: tuple[Tag, ...] = ()


class VerificationTemplateStore(Protocol):
    def create(self, account_id: str, template: VerificationTemplate, *, limit: int) -> None:
        """Raises TemplateExists or TemplateLimitReached."""
        ...

    def get(self, account_id: str, name: str) -> VerificationTemplate | None: ...

    def replace(self, account_id: str, template: VerificationTemplate) -> bool: ...

    def delete(self, account_id: str, name: str) -> bool: ...

    def list_page(
        self, account_id: str, *, after: str | None, limit: int
    ) -> tuple[list[VerificationTemplate], bool]: ...


class _ContentCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"the tag <{tag}> is not allowed")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"the attribute {name} is not allowed")
            elif name in _URL_ATTRIBUTES and value and _scheme(value) not in ("", "http", "https", "mailto"):
                self.problems.append(f"the {name} URL scheme is not allowed")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _scheme(url: str) -> str:
    # Browsers ignore control characters and spaces inside a scheme ("java\tscript:").
    compact = "".join(ch for ch in url if ch > " ").lower()
    return compact.partition(":")[0] if ":" in compact.split("/", 1)[0] else ""


def check_content(content: str) -> None:
    if len(content.encode("utf-8")) >= MAX_CONTENT_BYTES:
        raise CustomVerificationEmailInvalidContent("The template content must be less than 10 MB.")
    checker = _ContentCheck()
    checker.feed(content)
    checker.close()
    if checker.problems:
        raise CustomVerificationEmailInvalidContent(
            "The template content is not allowed: " + "; ".join(sorted(set(checker.problems))) + "."
        )


def check_redirect_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidParameterValue(f"{name} must be an http or https URL.")
    return url


def with_link(content: str, link: str) -> str:
    """The template's HTML with the verification link added at the end of its body."""
    anchor = f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>'
    lower = content.lower()
    at = lower.rfind("</body>")
    if at < 0:
        return content + anchor
    return content[:at] + anchor + content[at:]


def not_found(name: str) -> CustomVerificationEmailTemplateDoesNotExist:
    return CustomVerificationEmailTemplateDoesNotExist(
        f"Custom verification email template {name} does not exist."
    )


class _PipelineMailer:
    """Sends the custom verification message through SendingService as the account's mail."""

    def __init__(self, sending: SendingService, request: SendRequest, template: VerificationTemplate) -> None:
        self._sending = sending
        self._request = request
        self._template = template
        self.message_id: str | None = None

    def send_verification(self, account_id: str, address: str, link: str) -> None:
        content = SimpleContent(
            subject=TextPart(self._template.subject),
            html=TextPart(with_link(self._template.content, link)),
            text=TextPart(f"To verify {address}, open this link:\n\n{link}\n"),
        )
        self.message_id = self._sending.send(replace(self._request, simple=content, to=(address,)))


class CustomVerificationService:
    def __init__(
        self,
        store: VerificationTemplateStore,
        *,
        identities: IdentityService,
        accounts: AccountService,
        sending: SendingService,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._identities = identities
        self._accounts = accounts
        self._sending = sending
        self._clock = clock

    def _validated(self, account_id: str, template: VerificationTemplate) -> VerificationTemplate:
        validate_name(template.name)
        if self._identities.verified_identity_for(account_id, template.from_address) is None:
            raise FromEmailAddressNotVerified(
                f"The from email address {template.from_address} is not a verified identity."
            )
        check_content(template.content)
        check_redirect_url("SuccessRedirectionURL", template.success_url)
        check_redirect_url("FailureRedirectionURL", template.failure_url)
        return template

    def create(self, account_id: str, template: VerificationTemplate) -> None:
        template = replace(self._validated(account_id, template), created_at=self._clock())
        try:
            self._store.create(account_id, template, limit=MAX_VERIFICATION_TEMPLATES)
        except TemplateExists:
            raise CustomVerificationEmailTemplateAlreadyExists(
                f"Custom verification email template {template.name} already exists."
            ) from None
        except TemplateLimitReached:
            raise LimitExceeded(
                f"Maximum number of custom verification email templates ({MAX_VERIFICATION_TEMPLATES}) "
                "exceeded for this account."
            ) from None

    def get(self, account_id: str, name: str) -> VerificationTemplate:
        found = self._store.get(account_id, name) if TEMPLATE_NAME.fullmatch(name or "") else None
        if found is None:
            raise not_found(name)
        return found

    def update(
        self,
        account_id: str,
        name: str,
        *,
        from_address: str | None = None,
        subject: str | None = None,
        content: str | None = None,
        success_url: str | None = None,
        failure_url: str | None = None,
    ) -> None:
        """Change the fields given (v1 may give any of them, v2 gives all)."""
        current = self.get(account_id, name)
        updated = VerificationTemplate(
            name=name,
            from_address=current.from_address if from_address is None else from_address,
            subject=current.subject if subject is None else subject,
            content=current.content if content is None else content,
            success_url=current.success_url if success_url is None else success_url,
            failure_url=current.failure_url if failure_url is None else failure_url,
            created_at=current.created_at,
            tags=current.tags,
        )
        if not self._store.replace(account_id, self._validated(account_id, updated)):
            raise not_found(name)

    def delete(self, account_id: str, name: str, *, missing_ok: bool) -> None:
        deleted = TEMPLATE_NAME.fullmatch(name or "") is not None and self._store.delete(account_id, name)
        if not deleted and not missing_ok:
            raise not_found(name)

    def list_templates(
        self, account_id: str, *, next_token: str | None, page_size: int | None
    ) -> tuple[list[VerificationTemplate], str | None]:
        limit = min(max(page_size or MAX_PAGE_SIZE, 1), MAX_PAGE_SIZE)
        after = decode_page_token(next_token) if next_token else None
        items, more = self._store.list_page(account_id, after=after, limit=limit)
        return items, (encode_page_token(items[-1].name) if more and items else None)

    def send(
        self, sender: Sender, address: str, template_name: str, *, configuration_set: str | None = None
    ) -> str | None:
        """Add ``address`` as an identity (if new) and mail it the template's message with a
        verification link; the MessageId of that message."""
        account_id = sender.account_id
        template = self.get(account_id, template_name)
        if self._accounts.get_account(account_id).sandbox:
            raise ProductionAccessNotGranted(
                "Custom verification emails can be sent only by accounts with production access."
            )
        if self._identities.verified_identity_for(account_id, template.from_address) is None:
            raise FromEmailAddressNotVerified(
                f"The from email address {template.from_address} is not a verified identity."
            )
        request = SendRequest(
            sender=sender, from_address=template.from_address, configuration_set=configuration_set
        )
        mailer = _PipelineMailer(self._sending, request, template)
        self._identities.verify_email(account_id, address, mailer=mailer, redirect_template=template.name)
        return mailer.message_id

    def redirect_for(self, account_id: str, template_name: str, *, verified: bool) -> str | None:
        """Where the verification page sends the visitor; None when the template is gone."""
        found = self._store.get(account_id, template_name) if TEMPLATE_NAME.fullmatch(template_name) else None
        if found is None:
            return None
        return found.success_url if verified else found.failure_url
