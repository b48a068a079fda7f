"""Server-side verification of AWS Signature Version 4, as AWS does it for SES.

Two forms are accepted: the ``Authorization`` header (what every SDK call sends) and the
presigned query string (``X-Amz-Algorithm``, ``X-Amz-Credential``, ``X-Amz-Date``,
``X-Amz-Expires``, ``X-Amz-SignedHeaders``, ``X-Amz-Signature``). Errors carry AWS's codes
and, where AWS's wording is known, its messages.

The body is always covered: ``x-amz-content-sha256``, when sent, must be the body's real hash
(no SES SDK sends ``UNSIGNED-PAYLOAD``, and accepting it would let a replayed request carry any
body).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from sesame.domain import errors
from sesame.protocol.http import HttpRequest
from sesame.protocol.sigv4_canonical import (
    ALGORITHM,
    canonical_query,
    canonical_request,
    payload_sha256,
    signature,
    string_to_sign,
)

_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_BASIC_ISO8601 = re.compile(r"^\d{8}T\d{6}Z$")
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
_PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders")


@dataclass(frozen=True)
class _Claim:
    """What a request says about its own signature, whichever form it came in."""

    credential: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str  # the ISO 8601 basic timestamp the string to sign uses
    expires: int | None  # presigned only: seconds the signature lasts
    presigned: bool


@dataclass(frozen=True)
class _Scope:
    access_key: str
    date: str
    region: str
    service: str
    terminator: str

    @property
    def text(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{self.terminator}"


class SigV4Verifier:
    """Checks a request's SigV4 signature; ``secret_for`` maps an access key id to its secret."""

    def __init__(
        self,
        *,
        region: str,
        service: str = "ses",
        secret_for: Callable[[str], str | None],
        clock: Callable[[], float] = time.time,
        max_skew_seconds: int = 900,
    ) -> None:
        self._region = region
        self._service = service
        self._secret_for = secret_for
        self._clock = clock
        self._max_skew = max_skew_seconds

    def verify(self, request: HttpRequest) -> str:
        """The access key id that signed ``request``; raises the SesError AWS would answer with."""
        query = _query_params(request.query_string)
        authorization = request.header("authorization")
        if authorization:
            claim = _from_header(authorization, request)
        elif "X-Amz-Signature" in query or "X-Amz-Algorithm" in query:
            claim = _from_query(query)
        else:
            raise errors.MissingAuthenticationToken("Request is missing Authentication Token")
        if "host" not in claim.signed_headers and ":authority" not in claim.signed_headers:
            raise errors.IncompleteSignature(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
            )
        signed_at = _parse_amz_date(claim.amz_date)
        scope = self._check_scope(claim, signed_at)
        self._check_time(claim, signed_at)
        secret = self._secret_for(scope.access_key)
        if secret is None:
            raise errors.InvalidClientTokenId("The security token included in the request is invalid.")
        expected = _expected_signature(request, claim, scope, secret)
        # Bytes, not str: compare_digest refuses non-ASCII text, and the claim is attacker input.
        if not hmac.compare_digest(expected.encode(), claim.signature.lower().encode("utf-8")):
            raise errors.SignatureDoesNotMatch(_MISMATCH)
        return scope.access_key

    def _check_scope(self, claim: _Claim, signed_at: datetime) -> _Scope:
        parts = claim.credential.split("/")
        if len(parts) != 5 or not all(parts):
            raise errors.IncompleteSignature(
                f"Credential should be of the form '<access key>/<date>/<region>/<service>/aws4_request', "
                f"not '{claim.credential}'."
            )
        scope = _Scope(*parts)
        if scope.terminator != "aws4_request":
            raise errors.SignatureDoesNotMatch(
                "Credential should be scoped with a valid terminator: 'aws4_request', "
                f"not '{scope.terminator}'."
            )
        day = signed_at.strftime("%Y%m%d")
        if scope.date != day:
            raise errors.SignatureDoesNotMatch(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{scope.date}' != '{day}', from '{claim.amz_date}'."
            )
        if scope.region != self._region:
            raise errors.SignatureDoesNotMatch(
                f"Credential should be scoped to a valid region, not '{scope.region}'."
            )
        if scope.service != self._service:
            raise errors.SignatureDoesNotMatch(
                f"Credential should be scoped to correct service: '{self._service}'."
            )
        return scope

    def _check_time(self, claim: _Claim, signed_at: datetime) -> None:
        now = datetime.fromtimestamp(self._clock(), tz=UTC)
        skew = timedelta(seconds=self._max_skew)
        if signed_at - skew > now:
            raise errors.RequestExpired(
                f"Signature not yet current: {claim.amz_date} is still later than "
                f"{(now + skew).strftime(_AMZ_DATE)} ({now.strftime(_AMZ_DATE)} + "
                f"{self._max_skew // 60} min.)"
            )
        if claim.expires is not None:
            expired = now > signed_at + timedelta(seconds=claim.expires)
        else:
            expired = now - skew > signed_at
        if expired:
            raise errors.RequestExpired("Request has expired.")


def _expected_signature(request: HttpRequest, claim: _Claim, scope: _Scope, secret: str) -> str:
    canonical = canonical_request(
        method=request.method,
        raw_path=request.path,
        query=canonical_query(request.query_string, drop="X-Amz-Signature" if claim.presigned else None),
        headers=request.headers,
        signed_headers=claim.signed_headers,
        payload_hash=_payload_hash(request),
    )
    return signature(
        secret,
        date=scope.date,
        region=scope.region,
        service=scope.service,
        to_sign=string_to_sign(claim.amz_date, scope.text, canonical),
    )


def _query_params(raw_query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in raw_query.split("&"):
        if item:
            name, _, value = item.partition("=")
            params.setdefault(unquote(name), unquote(value))
    return params


def _from_header(authorization: str, request: HttpRequest) -> _Claim:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise errors.IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            fields[name] = value.strip()
    amz_date = request.header("x-amz-date") or _from_http_date(request.header("date"))
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if not amz_date:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        raise errors.IncompleteSignature(" ".join([*missing, f"Authorization={authorization}"]))
    return _Claim(
        credential=fields["Credential"],
        signed_headers=_signed_headers(fields["SignedHeaders"]),
        signature=fields["Signature"],
        amz_date=amz_date,
        expires=None,
        presigned=False,
    )


def _from_query(query: Mapping[str, str]) -> _Claim:
    for name in (*_PRESIGN_PARAMS, "X-Amz-Signature", "X-Amz-Expires"):
        if not query.get(name):
            raise errors.IncompleteSignature(
                f"AWS query-string parameters must include '{name}'. Re-examine the query-string parameters."
            )
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise errors.IncompleteSignature(f"Unsupported AWS 'algorithm': '{query['X-Amz-Algorithm']}'.")
    try:
        expires = int(query["X-Amz-Expires"])
    except ValueError:
        expires = -1
    if not 0 <= expires <= _MAX_PRESIGN_SECONDS:
        raise errors.IncompleteSignature(
            f"X-Amz-Expires must be a number of seconds from 0 to {_MAX_PRESIGN_SECONDS} (a week)."
        )
    return _Claim(
        credential=query["X-Amz-Credential"],
        signed_headers=_signed_headers(query["X-Amz-SignedHeaders"]),
        signature=query["X-Amz-Signature"],
        amz_date=query["X-Amz-Date"],
        expires=expires,
        presigned=True,
    )


def _signed_headers(text: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in text.split(";") if name.strip())


def _from_http_date(text: str) -> str:
    """A ``Date`` header (RFC 7231) in the basic ISO 8601 form the string to sign uses."""
    if not text:
        return ""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return text  # left for _parse_amz_date to reject with AWS's message
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime(_AMZ_DATE)


def _parse_amz_date(text: str) -> datetime:
    try:
        if _BASIC_ISO8601.match(text):
            return datetime.strptime(text, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        pass
    raise errors.IncompleteSignature(
        f"Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _payload_hash(request: HttpRequest) -> str:
    actual = payload_sha256(request.body)
    declared = request.header("x-amz-content-sha256")
    if not declared:
        return actual
    if not _HEX_SHA256.match(declared) or declared.lower() != actual:
        raise errors.SignatureDoesNotMatch(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return declared  # signed as sent, whatever its letter case
