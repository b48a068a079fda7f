"""The header fields SES adds to a received message, in SES's wording and order.

SES stores a received message with these fields above the original ones (below its own
Return-Path and Received fields, which the MX server writes):

    X-SES-Spam-Verdict: PASS
    X-SES-Virus-Verdict: PASS
    Received-SPF: pass (spfCheck: domain of example.com designates 192.0.2.1 as permitted
     sender) client-ip=192.0.2.1; envelope-from=a@example.com; helo=mail.example.com;
    Authentication-Results: amazonses.com;
     spf=pass (spfCheck: ...) client-ip=...; envelope-from=...; helo=...;
     dkim=pass header.i=@example.com;
     dmarc=pass header.from=example.com;
    X-SES-RECEIPT: <opaque base64>

Tools that read SES mail parse these exact shapes (the authserv-id ``amazonses.com``, the
``spfCheck:`` comment), so they are kept. Every value that comes from the client (HELO name,
envelope sender, header domains) is reduced to characters that cannot end a comment, break a
field or inject another one.
"""

from __future__ import annotations

import base64
import hashlib
import re

from sesame.domain.receiving.dkim_check import DkimOutcome
from sesame.domain.receiving.dmarc_check import DmarcOutcome
from sesame.domain.receiving.spf_check import SpfOutcome
from sesame.domain.receiving.verdict_status import VerdictStatus

# What SES writes as the authserv-id of its Authentication-Results field.
SES_AUTHSERV_ID = "amazonses.com"

_FOLD = "\r\n "
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@:\[\]-]+")
_UNSAFE_IN_COMMENT = re.compile(r"[()\\\x00-\x1f\x7f]")
_UNSAFE_IN_QUOTES = re.compile(r"[\x00-\x1f\x7f]")


def _comment_text(text: str) -> str:
    return _UNSAFE_IN_COMMENT.sub("", text)


def _value(text: str) -> str:
    """A key=value value: the text itself when it is a dot-atom-like token, else quoted."""
    if _ATOM.fullmatch(text):
        return text
    cleaned = _UNSAFE_IN_QUOTES.sub("", text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{cleaned}"'


def _spf_comment(spf: SpfOutcome) -> str:
    domain, ip = _comment_text(spf.domain), _comment_text(spf.client_ip)
    texts = {
        "pass": f"domain of {domain} designates {ip} as permitted sender",
        "fail": f"domain of {domain} does not designate {ip} as permitted sender",
        "softfail": f"transitioning domain of {domain} does not designate {ip} as permitted sender",
        "neutral": f"{ip} is neither permitted nor denied by domain of {domain}",
        "none": f"domain of {domain} does not designate permitted sender hosts",
        "temperror": f"error in processing during lookup of {domain}",
        "permerror": f"domain of {domain} has an SPF policy that cannot be evaluated",
    }
    return f"spfCheck: {texts.get(spf.result, texts['permerror'])}"


def spf_result_text(spf: SpfOutcome) -> str:
    """``pass (spfCheck: ...) client-ip=...; envelope-from=...; helo=...;``"""
    return (
        f"{spf.result} ({_spf_comment(spf)}) client-ip={_value(spf.client_ip)}; "
        f"envelope-from={_value(spf.envelope_from)}; helo={_value(spf.helo)};"
    )


def _dkim_method(dkim: DkimOutcome) -> str:
    verdict = dkim.verdict
    reported = dkim.reported
    if verdict == VerdictStatus.GRAY or reported is None:
        return "dkim=none;"
    result = {
        VerdictStatus.PASS: "pass",
        VerdictStatus.FAIL: "fail",
        VerdictStatus.PROCESSING_FAILED: "temperror",
    }[verdict]
    if not reported.identity:
        return f"dkim={result};"
    return f"dkim={result} header.i={_value(reported.identity)};"


def _dmarc_method(dmarc: DmarcOutcome) -> str:
    if dmarc.from_domain is None:
        return "dmarc=permerror;"
    header_from = f"header.from={_value(dmarc.from_domain)};"
    if dmarc.verdict == VerdictStatus.PASS:
        return f"dmarc=pass {header_from}"
    if dmarc.verdict == VerdictStatus.FAIL:
        policy = f" (p={dmarc.policy.value})" if dmarc.policy else ""
        return f"dmarc=fail{policy} {header_from}"
    if dmarc.verdict == VerdictStatus.GRAY:
        return f"dmarc=none {header_from}"
    return f"dmarc=temperror {header_from}"


def authentication_results(
    spf: SpfOutcome, dkim: DkimOutcome, dmarc: DmarcOutcome, *, authserv_id: str = SES_AUTHSERV_ID
) -> str:
    """The Authentication-Results value (RFC 8601), folded as SES folds it."""
    return _FOLD.join(
        [f"{authserv_id};", f"spf={spf_result_text(spf)}", _dkim_method(dkim), _dmarc_method(dmarc)]
    )


def receipt_token(raw: bytes, summary: str) -> str:
    """An X-SES-RECEIPT value. SES's is an opaque encrypted receipt no reader can open; this
    one has its shape (base64 of base64) and is a digest of the message and its verdicts, so a
    stored message's token changes when either does."""
    digest = hashlib.sha256(hashlib.sha256(raw).digest() + summary.encode("utf-8")).digest()
    inner = base64.b64encode(bytes(8) + b"\x01" + digest)
    return base64.b64encode(inner).decode("ascii")


def fold_for(value: str, line_ending: bytes) -> bytes:
    return value.encode("utf-8", "replace").replace(b"\r\n", line_ending)
