"""The link in the verification message: local mode logs it, a browser follows it, the address
is verified; a link that Sesame did not make verifies nothing."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.support.compat_clients import sdk_client, verification_link, verification_links
from tests.support.local_process import LocalProcess


@pytest.fixture(scope="module")
def ses(local: LocalProcess) -> Any:
    return sdk_client(local, "ses")


def _open(url: str, method: str = "GET") -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as page:
            return page.status, page.read().decode(), {k.lower(): v for k, v in page.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), {k.lower(): v for k, v in error.headers.items()}


def _status(ses: Any, address: str) -> str:
    found = ses.get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    return str(found[address]["VerificationStatus"])


def _with_token(link: str, token: str) -> str:
    return link.split("?", 1)[0] + "?token=" + quote(token, safe="")


def _token(link: str) -> str:
    (token,) = parse_qs(urlsplit(link).query)["token"]
    return token


def test_following_the_link_verifies_the_address(local: LocalProcess, ses: Any) -> None:
    ses.verify_email_identity(EmailAddress="follow@link.example")
    link = verification_link(local, "follow@link.example")
    assert link.startswith(local.api_url + "/")
    assert _status(ses, "follow@link.example") == "Pending"

    # A link checker's HEAD changes nothing.
    assert _open(link, "HEAD")[0] == 200
    assert _status(ses, "follow@link.example") == "Pending"

    status, page, headers = _open(link)
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert "follow@link.example" in page and "successfully verified" in page
    assert _status(ses, "follow@link.example") == "Success"
    assert "follow@link.example" in ses.list_verified_email_addresses()["VerifiedEmailAddresses"]
    identity = sdk_client(local, "sesv2").get_email_identity(EmailIdentity="follow@link.example")
    assert (identity["VerificationStatus"], identity["VerifiedForSendingStatus"]) == ("SUCCESS", True)

    # Following it again says so, and still succeeds.
    status, page, _ = _open(link)
    assert status == 200 and "already verified" in page


def test_a_tampered_link_gives_the_failure_page_and_verifies_nothing(local: LocalProcess, ses: Any) -> None:
    ses.verify_email_identity(EmailAddress="victim@link.example")
    ses.verify_email_identity(EmailAddress="asker@link.example")
    link = verification_link(local, "asker@link.example")
    token = _token(link)
    payload, _, mac = token.partition(".")

    # The asker's signature on a payload rewritten to name someone else's address.
    claim = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claim["e"] = "victim@link.example"
    forged = base64.urlsafe_b64encode(json.dumps(claim, separators=(",", ":")).encode()).rstrip(b"=").decode()
    flipped_mac = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    for bad in (f"{forged}.{mac}", f"{payload}.{flipped_mac}", payload, token[:-10]):
        status, page, _ = _open(_with_token(link, bad))
        assert status == 400
        assert "Verification failed" in page and "not valid" in page

    assert _status(ses, "victim@link.example") == "Pending"
    assert _status(ses, "asker@link.example") == "Pending"
    # The genuine link still works afterwards.
    assert _open(link)[0] == 200
    assert _status(ses, "asker@link.example") == "Success"


def test_asking_again_sends_a_new_link_and_the_newest_one_verifies(local: LocalProcess, ses: Any) -> None:
    ses.verify_email_identity(EmailAddress="again@link.example")
    first = verification_link(local, "again@link.example")
    ses.verify_email_identity(EmailAddress="again@link.example")
    # A second message goes out (its link may equal the first when made in the same second).
    second = verification_link(local, "again@link.example", after=1)
    assert _open(second)[0] == 200
    assert _status(ses, "again@link.example") == "Success"
    status, page, _ = _open(first)
    assert status == 200 and "already verified" in page
    # Once verified, asking again sends nothing and changes nothing.
    ses.verify_email_identity(EmailAddress="again@link.example")
    # The log is one stream: once a later link shows, a link sent before it would show too.
    ses.verify_email_identity(EmailAddress="marker@link.example")
    verification_link(local, "marker@link.example")
    assert len(verification_links(local, "again@link.example")) == 2
    assert _status(ses, "again@link.example") == "Success"


def test_a_link_for_a_deleted_identity_fails(local: LocalProcess, ses: Any) -> None:
    ses.verify_email_identity(EmailAddress="deleted@link.example")
    link = verification_link(local, "deleted@link.example")
    ses.delete_identity(Identity="deleted@link.example")
    status, page, _ = _open(link)
    assert status == 400 and "no longer awaiting verification" in page
    assert (
        ses.get_identity_verification_attributes(Identities=["deleted@link.example"])[
            "VerificationAttributes"
        ]
        == {}
    )
