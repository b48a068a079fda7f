"""Custom verification email content rules, the link in the message, and the signed link that
names the template whose redirection URLs apply."""

from __future__ import annotations

import pytest

from sesame.domain.custom_verification import check_content, check_redirect_url, with_link
from sesame.domain.errors import CustomVerificationEmailInvalidContent, InvalidParameterValue
from sesame.domain.verification_links import LinkExpired, LinkInvalid, issue_token, open_token


class Mac:
    def sign(self, data: bytes) -> bytes:
        return b"sig:" + data[-8:]

    def verify(self, data: bytes, signature: bytes) -> bool:
        return signature == self.sign(data)


def test_ordinary_html_is_accepted() -> None:
    check_content(
        '<html><head><title>Hi</title></head><body><h1>Welcome</h1><p style="color:red">'
        '<a href="https://example.com">site</a><img src="https://example.com/logo.png"></p></body></html>'
    )


@pytest.mark.parametrize(
    "content",
    [
        "<script>alert(1)</script>",
        '<p onclick="steal()">x</p>',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="java\tscript:alert(1)">x</a>',
        '<iframe src="https://example.com"></iframe>',
        '<img src="data:text/html;base64,AAAA">',
    ],
)
def test_script_and_disallowed_tags_are_invalid_content(content: str) -> None:
    with pytest.raises(CustomVerificationEmailInvalidContent):
        check_content(content)


def test_content_of_10_mb_is_invalid() -> None:
    with pytest.raises(CustomVerificationEmailInvalidContent, match="10 MB"):
        check_content("<p>" + "x" * (10 * 1024 * 1024) + "</p>")


def test_redirection_urls_must_be_web_urls() -> None:
    assert check_redirect_url("SuccessRedirectionURL", "https://example.com/ok") == "https://example.com/ok"
    for bad in ("javascript:alert(1)", "ftp://example.com", "/relative", "https://"):
        with pytest.raises(InvalidParameterValue):
            check_redirect_url("SuccessRedirectionURL", bad)


def test_the_link_goes_at_the_end_of_the_body() -> None:
    link = "http://127.0.0.1:8787/verify-email?token=a&b"
    assert with_link("<html><body><p>Hi</p></body></html>", link) == (
        '<html><body><p>Hi</p><p><a href="http://127.0.0.1:8787/verify-email?token=a&amp;b">'
        "http://127.0.0.1:8787/verify-email?token=a&amp;b</a></p></body></html>"
    )
    assert with_link("<p>Hi</p>", "http://x/").endswith('<a href="http://x/">http://x/</a></p>')


def test_a_link_carries_its_template_under_the_signature() -> None:
    mac = Mac()
    token = issue_token(mac, "111122223333", "ann@example.com", 2_000.0, template="Welcome")
    claim = open_token(mac, token, 1_000.0)
    assert (claim.address, claim.template) == ("ann@example.com", "Welcome")
    plain = open_token(mac, issue_token(mac, "111122223333", "ann@example.com", 2_000.0), 1_000.0)
    assert plain.template is None
    with pytest.raises(LinkExpired) as expired:
        open_token(mac, token, 3_000.0)
    assert expired.value.template == "Welcome"


def test_changing_the_template_in_a_link_breaks_its_signature() -> None:
    import base64
    import json

    class RealMac(Mac):
        def sign(self, data: bytes) -> bytes:
            import hashlib

            return hashlib.sha256(b"key" + data).digest()

    mac = RealMac()
    token = issue_token(mac, "111122223333", "ann@example.com", 2_000.0, template="Welcome")
    payload, signature = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields["t"] = "Evil"
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    with pytest.raises(LinkInvalid):
        open_token(mac, f"{forged}.{signature}", 1_000.0)
