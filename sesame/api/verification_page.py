"""GET /verify-email?token=...: the page behind the link in a verification message.

Answers HTML for a person in a browser, never a traceback: 200 when the address is (or already
was) verified, 410 when the link has expired, 400 when it is not a link Sesame made or its
identity is gone, 503 when Sesame could not check it (the person may simply retry). A link from
a custom verification email redirects (302) instead to its template's SuccessRedirectionURL, or
its FailureRedirectionURL when the address could not be verified.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from sesame.domain.identities import ConfirmationOutcome, EmailConfirmation
from sesame.protocol.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from sesame.services import Services

log = logging.getLogger(__name__)

_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    # A token in the URL must not linger in shared caches.
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}

_PAGES: dict[ConfirmationOutcome, tuple[int, str, str]] = {
    ConfirmationOutcome.CONFIRMED: (
        200,
        "Email address verified",
        "Congratulations! You have successfully verified {address}. "
        "You can now start sending email from this address.",
    ),
    ConfirmationOutcome.ALREADY_VERIFIED: (
        200,
        "Email address verified",
        "{address} is already verified. You can send email from this address.",
    ),
    ConfirmationOutcome.EXPIRED: (
        410,
        "Verification link expired",
        "This verification link for {address} has expired. Request verification again to receive a new link.",
    ),
    ConfirmationOutcome.NOT_PENDING: (
        400,
        "Verification failed",
        "{address} is no longer awaiting verification. Request verification again to receive a new link.",
    ),
    ConfirmationOutcome.INVALID: (
        400,
        "Verification failed",
        "This verification link is not valid. Check that you copied the whole link from the message.",
    ),
}


def _page(status: int, title: str, text: str) -> HttpResponse:
    body = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>\n"
    )
    return HttpResponse(status, dict(_HEADERS), body.encode("utf-8"))


def render(confirmation: EmailConfirmation) -> HttpResponse:
    status, title, text = _PAGES[confirmation.outcome]
    return _page(status, title, text.format(address=confirmation.address or "this address"))


def handle_verification_request(services: Services, request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = _page(405, "Method not allowed", "Open the link in a web browser.")
        response.headers["allow"] = "GET, HEAD"
        return response
    if request.method == "HEAD":
        # HEAD must not change anything (link checkers probe with it): only a GET confirms.
        return HttpResponse(200, dict(_HEADERS), b"")
    tokens = parse_qs(request.query_string).get("token", [])
    if len(tokens) != 1:
        return render(EmailConfirmation(ConfirmationOutcome.INVALID))
    try:
        confirmation = services.identities.confirm_email(tokens[0])
    except Exception:
        # KMS or DynamoDB unreachable: not the visitor's fault, and worth a retry.
        log.exception("could not check an email verification link")
        return _page(503, "Try again later", "Sesame could not check this link just now. Try again later.")
    return _redirect(services, confirmation) or render(confirmation)


def _redirect(services: Services, confirmation: EmailConfirmation) -> HttpResponse | None:
    """A link from a custom verification email goes on to its template's success or failure
    URL; None when it is not such a link or its template is gone."""
    if confirmation.redirect_template is None or confirmation.account_id is None:
        return None
    verified = confirmation.outcome in (ConfirmationOutcome.CONFIRMED, ConfirmationOutcome.ALREADY_VERIFIED)
    try:
        url = services.custom_verification.redirect_for(
            confirmation.account_id, confirmation.redirect_template, verified=verified
        )
    except Exception:
        log.exception("could not read the redirection URLs of a custom verification email")
        return None
    if url is None:
        return None
    headers = {key: value for key, value in _HEADERS.items() if key != "content-type"}
    headers["location"] = url
    return HttpResponse(302, headers, b"")
