"""Verified identities: the email addresses and domains an account may send from.

One model serves both API versions (v1 ``VerifyDomainIdentity`` and v2 ``CreateEmailIdentity``
make the same record), stored per account. Verification is asynchronous as in SES: an address is
verified by following a signed link, a domain by DNS (the ``_amazonses`` TXT token or DKIM),
a custom MAIL FROM domain by its MX and SPF records. Pending identities are re-checked by
``check_pending`` (a scheduled worker), immediately when created or changed, on demand with
``check_now``, and when read (``describe``) if their last check is older than the check
interval, so a client polling GetEmailIdentity sees progress even without the worker.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from sesame.domain import dkim as dkim_keys
from sesame.domain.dkim import KeyLength
from sesame.domain.dns_checks import (
    ExpectedKey,
    Outcome,
    check_dkim,
    check_mail_from,
    check_verification_token,
)
from sesame.domain.errors import (
    AlreadyExists,
    ConcurrentModification,
    InvalidNextToken,
    InvalidParameterValue,
    MailFromDomainNotVerified,
    NotFound,
)
from sesame.domain.identity_model import (
    SELECTOR_SYNTAX,
    CheckState,
    ConfirmationOutcome,
    Dkim,
    DkimKey,
    DkimSigningKey,
    DkimSigningRequest,
    EmailConfirmation,
    Identity,
    IdentitySummary,
    IdentityType,
    IdentityView,
    MailFrom,
    MxFailureBehavior,
    NotificationAttributes,
    NotificationType,
    SigningOrigin,
    Status,
    Tag,
    VerificationError,
    check_topic_arn,
    lookup_name,
    normalize_address,
    normalize_domain,
    parent_domains,
    parse_identity,
    validate_tags,
)
from sesame.domain.identity_ports import (
    DkimKeyPublisher,
    DnsLookup,
    DnsRecord,
    IdentityAlreadyStored,
    IdentityRepository,
    StaleIdentity,
    VerificationMailer,
)
from sesame.domain.ports import Clock, MacSigner, SecretCipher
from sesame.domain.sending.event_ports import TopicDirectory
from sesame.domain.verification_links import (
    LINK_LIFETIME,
    LinkExpired,
    LinkInvalid,
    issue_token,
    link_for,
    open_token,
)
from sesame.settings import Settings

log = logging.getLogger(__name__)

# SES stops looking for a domain's (or DKIM's, or MAIL FROM's) records after 72 hours.
DNS_DEADLINE = 72 * 3600.0
# An address not confirmed within 24 hours fails, as its link expires.
EMAIL_DEADLINE = LINK_LIFETIME
# Attempts at a read-modify-write before giving up with ConcurrentModification.
_MAX_ATTEMPTS = 5
MAX_PAGE = 1000


_OUTCOME_ERROR = {
    Outcome.TEMPORARY: VerificationError.DNS_SERVER_ERROR,
    Outcome.MISSING: VerificationError.TYPE_NOT_FOUND,
    Outcome.WRONG_VALUE: VerificationError.INVALID_VALUE,
}


# The feedback that forwarding by email covers (never Delivery).
_FORWARDED = (NotificationType.BOUNCE, NotificationType.COMPLAINT)


def _not_found(name: str) -> NotFound:
    return NotFound(f"Email identity {name} does not exist.")


# --- the service -----------------------------------------------------------------------------


class IdentityService:
    """Everything about identities, for the v1 and v2 handlers, the verification page, the
    background checker and (later) the sending pipeline."""

    def __init__(
        self,
        *,
        settings: Settings,
        repository: IdentityRepository,
        cipher: SecretCipher,
        mac: MacSigner,
        dns: DnsLookup,
        mailer: VerificationMailer,
        publisher: DkimKeyPublisher | None = None,
        clock: Clock = time.time,
        key_factory: Callable[[int], rsa.RSAPrivateKey] = dkim_keys.generate_rsa_key,
        topics: TopicDirectory | None = None,
    ) -> None:
        self._settings = settings
        self._repo = repository
        self._cipher = cipher
        self._mac = mac
        self._dns = dns
        self._mailer = mailer
        # Without a publisher there is nothing to put behind CNAMEs: keys go to the customer
        # as TXT records even if a zone name is configured.
        self._zone = settings.dkim_signing_zone if publisher is not None else None
        self._publisher = publisher
        self._clock = clock
        self._key_factory = key_factory
        # Without a directory, notification topics are checked for form and region only.
        self._topics = topics

    @property
    def signing_zone(self) -> str | None:
        """SigningHostedZone of Easy DKIM identities, None when customers publish TXT keys."""
        return self._zone

    # --- creating -----------------------------------------------------------------------------

    def create_identity(
        self,
        account_id: str,
        raw_name: str,
        *,
        tags: Sequence[Tag] = (),
        configuration_set: str | None = None,
        dkim: DkimSigningRequest | None = None,
    ) -> IdentityView:
        """v2 CreateEmailIdentity: an address (a link is mailed) or a domain (DKIM set up:
        Easy DKIM unless ``dkim`` brings a key). Raises AlreadyExists."""
        name, kind = parse_identity(raw_name)
        valid_tags = validate_tags(tags)
        if self._repo.get(account_id, name) is not None:
            # Checked before any key is made: generating and encrypting keys costs KMS calls.
            raise AlreadyExists(f"Email identity {name} already exists.")
        now = self._clock()
        identity = Identity(
            account_id=account_id,
            name=name,
            type=kind,
            status=Status.PENDING,
            created_at=now,
            pending_since=now,
            configuration_set=configuration_set,
            tags=valid_tags,
        )
        if kind is IdentityType.EMAIL_ADDRESS:
            if dkim is not None and dkim != DkimSigningRequest():
                raise InvalidParameterValue("DKIM signing attributes apply to domain identities only.")
            self._schedule(identity, now)
            self._insert(identity)
            self._send_link(identity)
            # Its domain, if an identity already, may make it able to send at once.
            return self._view(identity, self._repo.get_many(account_id, parent_domains(identity.domain)))
        identity.dkim = self._dkim_for_request(account_id, name, dkim, now)
        self._recheck(identity, now)
        self._insert(identity)
        return self._view(identity)

    def verify_email(
        self,
        account_id: str,
        raw_address: str,
        *,
        mailer: VerificationMailer | None = None,
        redirect_template: str | None = None,
    ) -> Identity:
        """v1 VerifyEmailIdentity / VerifyEmailAddress: add the address if new and mail a link.

        Asking again for an address that is not verified yet starts over with a new link (the
        "resend" SES offers); for a verified address it changes nothing and sends nothing.

        SendCustomVerificationEmail gives its own ``mailer`` and the ``redirect_template`` the
        link names (signed into it); its mail goes out for a verified address too, whose link
        then confirms nothing new.
        """
        address = normalize_address(raw_address)
        for _ in range(_MAX_ATTEMPTS):
            now = self._clock()
            current = self._repo.get(account_id, address)
            if current is None:
                identity = Identity(
                    account_id=account_id,
                    name=address,
                    type=IdentityType.EMAIL_ADDRESS,
                    status=Status.PENDING,
                    created_at=now,
                    pending_since=now,
                )
                self._schedule(identity, now)
                try:
                    self._insert(identity)
                except AlreadyExists:
                    continue  # created meanwhile: treat as existing
                self._send_link(identity, mailer=mailer, redirect_template=redirect_template)
                return identity
            if current.type is not IdentityType.EMAIL_ADDRESS:
                raise InvalidParameterValue(f"Invalid email address<{raw_address}>.")
            if current.status is Status.SUCCESS:
                if mailer is not None:
                    self._send_link(current, mailer=mailer, redirect_template=redirect_template)
                return current
            restarted = False

            def restart(identity: Identity, now: float = now) -> None:
                nonlocal restarted
                # Decided again on the fresh read: a link followed meanwhile must stand.
                restarted = identity.status is not Status.SUCCESS
                if restarted:
                    identity.status = Status.PENDING
                    identity.pending_since = now
                    self._schedule(identity, now)

            updated = self._update(account_id, address, restart)
            if restarted or mailer is not None:
                self._send_link(updated, mailer=mailer, redirect_template=redirect_template)
            return updated
        raise ConcurrentModification(f"Identity {address} is being changed by another request.")

    def verify_domain(self, account_id: str, raw_domain: str) -> str:
        """v1 VerifyDomainIdentity: add the domain if new, return its VerificationToken.

        The token is made once and returned again on every later call, so a customer who asks
        twice does not invalidate the TXT record they already published. A domain whose
        verification failed starts over (pending again, 72 more hours).
        """
        domain = normalize_domain(raw_domain)

        def new(now: float) -> Identity:
            return self._new_domain(
                account_id, domain, now, verification_token=dkim_keys.new_verification_token()
            )

        def add_token(identity: Identity, now: float) -> None:
            if identity.verification_token is None:
                identity.verification_token = dkim_keys.new_verification_token()
            if identity.status is Status.FAILED:
                identity.status = Status.PENDING
                identity.pending_since = now
            if identity.status is not Status.SUCCESS:
                self._recheck(identity, now)

        identity = self._add_or_change(account_id, domain, new, add_token)
        assert identity.verification_token is not None
        return identity.verification_token

    def verify_domain_dkim(self, account_id: str, raw_domain: str) -> list[str]:
        """v1 VerifyDomainDkim: set up Easy DKIM (adding the domain if new), return the tokens.

        Tokens are stable across calls; a failed DKIM check starts over. A domain signing with
        its own key (BYODKIM, a v2 notion) keeps it: this v1 call does not replace it.
        """
        domain = normalize_domain(raw_domain)

        def new(now: float) -> Identity:
            dkim = self._easy_dkim(account_id, domain, dkim_keys.DEFAULT_KEY_LENGTH, now)
            return self._new_domain(account_id, domain, now, dkim=dkim)

        def set_up(identity: Identity, now: float) -> None:
            if identity.dkim is None:
                identity.dkim = self._easy_dkim(account_id, domain, dkim_keys.DEFAULT_KEY_LENGTH, now)
                self._restart_failed_verification(identity, now)
            elif identity.dkim.status is Status.FAILED:
                identity.dkim.status = Status.PENDING
                identity.dkim.started_at = now
                self._restart_failed_verification(identity, now)
            self._recheck(identity, now)

        identity = self._add_or_change(account_id, domain, new, set_up)
        assert identity.dkim is not None
        return identity.dkim.tokens

    def _new_domain(self, account_id: str, domain: str, now: float, **fields: Any) -> Identity:
        """A pending domain identity, checked against DNS once before it is first stored."""
        identity = Identity(
            account_id=account_id,
            name=domain,
            type=IdentityType.DOMAIN,
            status=Status.PENDING,
            created_at=now,
            pending_since=now,
            **fields,
        )
        self._recheck(identity, now)
        return identity

    def _add_or_change(
        self,
        account_id: str,
        name: str,
        new: Callable[[float], Identity],
        change: Callable[[Identity, float], None],
    ) -> Identity:
        """Store ``new(now)`` if the identity does not exist, else apply ``change`` to the stored
        one; a request that loses a race to create it is retried as a change."""
        for _ in range(_MAX_ATTEMPTS):
            now = self._clock()
            if self._repo.get(account_id, name) is not None:
                break
            identity = new(now)
            try:
                self._insert(identity)
            except AlreadyExists:
                continue
            return identity
        else:
            raise ConcurrentModification(f"Identity {name} is being changed by another request.")
        return self._update(account_id, name, lambda identity: change(identity, now))

    # --- reading ------------------------------------------------------------------------------

    def describe(self, account_id: str, raw_name: str) -> IdentityView:
        """GetEmailIdentity; raises NotFound. A pending identity not checked within the check
        interval is checked first."""
        found = self.describe_many(account_id, [raw_name])
        if raw_name not in found:
            raise _not_found(raw_name)
        return found[raw_name]

    def describe_many(self, account_id: str, raw_names: Sequence[str]) -> dict[str, IdentityView]:
        """v1 Get*Attributes: the identities among ``raw_names`` that exist, keyed by the name as
        the caller wrote it; unknown ones are left out, as SES leaves them out."""
        names = {raw: lookup_name(raw) for raw in raw_names}
        stored = self._repo.get_many(account_id, sorted(set(names.values())))
        fresh = {name: self._refreshed(identity) for name, identity in stored.items()}
        # Parent domains decide the DKIM an address reports and whether it may send.
        parents_needed = {
            parent
            for identity in fresh.values()
            if identity.type is IdentityType.EMAIL_ADDRESS
            for parent in parent_domains(identity.domain)
        } - set(fresh)
        if parents_needed:
            extra = self._repo.get_many(account_id, sorted(parents_needed))
            fresh.update({name: self._refreshed(identity) for name, identity in extra.items()})
        return {raw: self._view(fresh[name], fresh) for raw, name in names.items() if name in stored}

    def list_identities(
        self,
        account_id: str,
        *,
        identity_type: IdentityType | None = None,
        status: Status | None = None,
        name_contains: str | None = None,
        next_token: str | None = None,
        limit: int = MAX_PAGE,
    ) -> tuple[list[IdentitySummary], str | None]:
        """One page in name order, and the token of the next (None on the last page)."""
        after = _decode_page_token(next_token) if next_token else None
        limit = max(1, min(limit, MAX_PAGE))
        items, more = self._repo.list_page(
            account_id,
            identity_type=identity_type,
            after=after,
            limit=limit,
            status=status,
            name_contains=name_contains,
        )
        token = _encode_page_token(items[-1].name) if more and items else None
        return items, token

    def list_verified_email_addresses(self, account_id: str) -> list[str]:
        """v1 ListVerifiedEmailAddresses: verified address identities, all of them."""
        result: list[str] = []
        after: str | None = None
        while True:
            items, more = self._repo.list_page(
                account_id,
                identity_type=IdentityType.EMAIL_ADDRESS,
                after=after,
                limit=MAX_PAGE,
                status=Status.SUCCESS,
            )
            result.extend(item.name for item in items)
            if not more or not items:
                return result
            after = items[-1].name

    # --- changing -----------------------------------------------------------------------------

    def delete_identity(self, account_id: str, raw_name: str, *, missing_ok: bool = False) -> None:
        """DeleteIdentity (v1: unknown is fine) / DeleteEmailIdentity (v2: NotFound)."""
        name = lookup_name(raw_name)
        removed = self._repo.delete(account_id, name)
        if removed is None:
            if missing_ok:
                return
            raise _not_found(raw_name)
        self._withdraw_quietly(self._zone_records(removed))

    def set_dkim_enabled(self, account_id: str, raw_name: str, enabled: bool) -> None:
        """SetIdentityDkimEnabled / PutEmailIdentityDkimAttributes.

        An address signs with its domain's DKIM: with that domain set up the call changes
        nothing (SES accepts it); without, SES refuses as for a domain without DKIM.
        """
        name = lookup_name(raw_name)
        identity = self._repo.get(account_id, name)
        if identity is None:
            raise _not_found(raw_name)
        if identity.type is IdentityType.EMAIL_ADDRESS:
            parents = self._repo.get_many(account_id, parent_domains(identity.domain))
            if any(parent.dkim is not None for parent in parents.values()):
                return
            raise InvalidParameterValue(f"Domain {identity.domain} is not verified for DKIM signing.")
        if identity.dkim is None:
            if not enabled:
                return
            raise InvalidParameterValue(f"Domain {identity.domain} is not verified for DKIM signing.")

        def toggle(identity: Identity) -> None:
            if identity.dkim is not None:
                identity.dkim.enabled = enabled

        self._update(account_id, name, toggle)

    def set_dkim_signing(self, account_id: str, raw_name: str, request: DkimSigningRequest) -> IdentityView:
        """PutEmailIdentityDkimSigningAttributes: switch between Easy DKIM and BYODKIM, or change
        the Easy DKIM key length.

        A new key length is applied at once (Sesame has no scheduled rotation): new keys under
        the same tokens, so customers' CNAMEs keep pointing at the right records.
        """
        if "@" in raw_name:
            raise InvalidParameterValue("The EmailIdentity value must be a valid domain.")
        name = lookup_name(raw_name)
        if self._repo.get(account_id, name) is None:
            raise _not_found(raw_name)
        origin = request.origin or SigningOrigin.AWS_SES
        byo: Dkim | None = None
        if origin is SigningOrigin.EXTERNAL:
            # Validated and encrypted once, outside the retried change.
            byo = self._byodkim(account_id, name, request, self._clock())
        elif request.selector or request.private_key:
            raise InvalidParameterValue("A signing key and selector apply to EXTERNAL signing only.")

        def change(identity: Identity) -> None:
            now = self._clock()
            old = identity.dkim
            if byo is not None:
                identity.dkim = copy.deepcopy(byo)
                identity.dkim.started_at = now
                if old is not None:
                    identity.dkim.enabled = old.enabled
            elif old is None or old.origin is not SigningOrigin.AWS_SES:
                length = request.next_key_length or dkim_keys.DEFAULT_KEY_LENGTH
                identity.dkim = self._easy_dkim(account_id, name, length, now)
            elif request.next_key_length and request.next_key_length != old.current_key_length:
                rotated = self._easy_dkim(account_id, name, request.next_key_length, now, old.tokens)
                rotated.enabled = old.enabled
                rotated.status = old.status if old.status is Status.SUCCESS else Status.PENDING
                identity.dkim = rotated
            else:
                return
            assert identity.dkim is not None
            if identity.dkim.status is not Status.SUCCESS:
                self._restart_failed_verification(identity, now)
            self._recheck(identity, now, force_dkim=True)

        updated = self._update(account_id, name, change)
        return self._view(updated)

    def set_mail_from(
        self,
        account_id: str,
        raw_name: str,
        mail_from_domain: str | None,
        behavior: MxFailureBehavior | None = None,
    ) -> None:
        """SetIdentityMailFromDomain / PutEmailIdentityMailFromAttributes; an empty or absent
        domain removes the custom MAIL FROM."""
        name = lookup_name(raw_name)
        identity = self._repo.get(account_id, name)
        if identity is None:
            raise _not_found(raw_name)
        wanted: str | None = None
        if mail_from_domain and mail_from_domain.strip():
            wanted = normalize_domain(mail_from_domain)
            if not wanted.endswith("." + identity.domain):
                raise InvalidParameterValue(
                    f"Provided MAIL-FROM domain '{mail_from_domain}' is not subdomain of "
                    f"the domain of the identity '{identity.domain}'."
                )
        chosen = behavior or MxFailureBehavior.USE_DEFAULT_VALUE

        def change(identity: Identity) -> None:
            now = self._clock()
            if wanted is None:
                identity.mail_from = None
            elif (
                identity.mail_from is not None
                and identity.mail_from.domain == wanted
                and identity.mail_from.status is not Status.FAILED
            ):
                # Same domain: only the behaviour changes, the verification stands. (Setting a
                # failed domain again is how a customer asks for another 72 hours.)
                identity.mail_from.behavior = chosen
            else:
                identity.mail_from = MailFrom(wanted, chosen, Status.PENDING, now)
                self._recheck(identity, now)
            self._schedule(identity, now)

        self._update(account_id, name, change)

    def set_feedback_forwarding(
        self, account_id: str, raw_name: str, enabled: bool, *, require_topics: bool = False
    ) -> None:
        """SetIdentityFeedbackForwardingEnabled (``require_topics``: v1 lets forwarding be
        disabled only while Bounce and Complaint topics are set) and
        PutEmailIdentityFeedbackAttributes (v2 accepts it; mail is forwarded anyway while no
        other way of reporting the feedback is set up)."""

        def change(identity: Identity) -> None:
            topics = identity.notifications.topics
            if not enabled and require_topics and not all(kind in topics for kind in _FORWARDED):
                raise InvalidParameterValue(
                    f"Feedback forwarding can only be disabled for identity {identity.name} when "
                    "Amazon SNS topics are set for both Bounce and Complaint notifications."
                )
            identity.feedback_forwarding = enabled

        self._update(account_id, lookup_name(raw_name), change, missing=raw_name)

    # --- notifications ------------------------------------------------------------------------

    def set_notification_topic(
        self, account_id: str, raw_name: str, kind: NotificationType, topic_arn: str | None
    ) -> None:
        """SetIdentityNotificationTopic; an empty or absent ARN stops that type's notifications.

        The topic must be a standard topic in this region that exists. While feedback forwarding
        is disabled the Bounce and Complaint topics cannot be removed: feedback must go somewhere.
        """
        name = lookup_name(raw_name)
        if self._repo.get(account_id, name) is None:
            raise _not_found(raw_name)
        wanted = topic_arn.strip() if topic_arn and topic_arn.strip() else None
        if wanted is not None:
            check_topic_arn(wanted, self._settings.region)
            if self._topics is not None and not self._topics.exists(wanted):
                raise InvalidParameterValue(f"SNS topic <{wanted}> does not exist.")

        def change(identity: Identity) -> None:
            topics = identity.notifications.topics
            if wanted is not None:
                topics[kind] = wanted
                return
            if kind in _FORWARDED and kind in topics and not identity.feedback_forwarding:
                raise InvalidParameterValue(
                    f"The {kind.value} topic of identity {identity.name} cannot be removed while "
                    "feedback forwarding is disabled."
                )
            topics.pop(kind, None)

        self._update(account_id, name, change, missing=raw_name)

    def set_headers_in_notifications(
        self, account_id: str, raw_name: str, kind: NotificationType, enabled: bool
    ) -> None:
        """SetIdentityHeadersInNotificationsEnabled. Kept even while the type has no topic: it
        applies once one is set."""

        def change(identity: Identity) -> None:
            if enabled:
                identity.notifications.headers_in.add(kind)
            else:
                identity.notifications.headers_in.discard(kind)

        self._update(account_id, lookup_name(raw_name), change, missing=raw_name)

    def notification_attributes(
        self, account_id: str, raw_names: Sequence[str]
    ) -> dict[str, NotificationAttributes]:
        """GetIdentityNotificationAttributes: keyed by the name as the caller wrote it; unknown
        identities are left out, as SES leaves them out."""
        names = {raw: lookup_name(raw) for raw in raw_names}
        stored = self._repo.get_many(account_id, sorted(set(names.values())))
        return {
            raw: NotificationAttributes(
                forwarding_enabled=stored[name].feedback_forwarding,
                topics=dict(stored[name].notifications.topics),
                headers_in=frozenset(stored[name].notifications.headers_in),
            )
            for raw, name in names.items()
            if name in stored
        }

    def drop_unavailable_topic(
        self, account_id: str, name: str, kind: NotificationType, topic_arn: str
    ) -> None:
        """SES's answer to a topic it can no longer publish to (deleted, or permission
        withdrawn): the identity stops using it and forwards feedback by email again."""

        def change(identity: Identity) -> None:
            if identity.notifications.topics.get(kind) == topic_arn:
                del identity.notifications.topics[kind]
                identity.feedback_forwarding = True

        # An identity deleted meanwhile has nothing left to change.
        with contextlib.suppress(NotFound):
            self._update(account_id, name, change)

    def set_configuration_set(self, account_id: str, raw_name: str, configuration_set: str | None) -> None:
        def change(identity: Identity) -> None:
            identity.configuration_set = configuration_set or None

        self._update(account_id, lookup_name(raw_name), change, missing=raw_name)

    # --- checking -----------------------------------------------------------------------------

    def check_now(self, account_id: str, raw_name: str) -> IdentityView:
        """Check an identity's open statuses in DNS at once (``sesame admin``, tests)."""
        name = lookup_name(raw_name)

        def check(identity: Identity) -> None:
            self._recheck(identity, self._clock())

        updated = self._update(account_id, name, check, missing=raw_name)
        return self.describe(account_id, updated.name)

    def check_pending(self, limit: int = 100) -> int:
        """One round of the background checker: re-check up to ``limit`` identities whose next
        check is due, in every account. Returns how many were checked."""
        checked = 0
        for due in self._repo.due(self._clock(), limit):
            try:
                if self._check_if_due(due.account_id, due.name):
                    checked += 1
            except Exception:
                # One identity's trouble (a throttled table, a broken record) must not starve
                # the others; it stays due and is retried next round.
                log.exception("checking identity %s of account %s failed", due.name, due.account_id)
        return checked

    def _check_if_due(self, account_id: str, name: str) -> bool:
        checked = False

        def check(identity: Identity) -> None:
            nonlocal checked
            now = self._clock()
            # The index may be behind, or another checker got here first: re-decide on the
            # consistent read.
            if identity.check_state is CheckState.PENDING and (identity.next_check_at or 0) <= now:
                self._recheck(identity, now)
                checked = True

        try:
            self._update(account_id, name, check)
        except NotFound:
            return False  # deleted since the index listed it
        return checked

    # --- email links --------------------------------------------------------------------------

    def confirm_email(self, token: str) -> EmailConfirmation:
        """The verification page: a genuine, unexpired link verifies its address."""
        try:
            claim = open_token(self._mac, token, self._clock())
        except LinkExpired as expired:
            return EmailConfirmation(
                ConfirmationOutcome.EXPIRED, expired.address, expired.account_id, expired.template
            )
        except LinkInvalid:
            return EmailConfirmation(ConfirmationOutcome.INVALID)
        outcome = ConfirmationOutcome.CONFIRMED

        def confirm(identity: Identity) -> None:
            nonlocal outcome
            if identity.type is not IdentityType.EMAIL_ADDRESS:
                outcome = ConfirmationOutcome.NOT_PENDING
            elif identity.status is Status.SUCCESS:
                outcome = ConfirmationOutcome.ALREADY_VERIFIED
            else:
                now = self._clock()
                identity.status = Status.SUCCESS
                identity.last_success_at = now
                identity.last_error = None
                self._schedule(identity, now)

        try:
            self._update(claim.account_id, claim.address, confirm)
        except NotFound:
            outcome = ConfirmationOutcome.NOT_PENDING
        return EmailConfirmation(outcome, claim.address, claim.account_id, claim.template)

    # --- records and keys ---------------------------------------------------------------------

    def dkim_records(self, account_id: str, raw_name: str) -> list[DnsRecord]:
        """The DKIM records the customer publishes (CNAMEs into the signing zone, or TXT keys
        when there is no managed zone or the key is their own). Raises NotFound."""
        identity = self._repo.get(account_id, lookup_name(raw_name))
        if identity is None:
            raise _not_found(raw_name)
        return self._customer_dkim_records(identity)

    def dns_records(self, account_id: str, raw_name: str) -> list[DnsRecord]:
        """Every record the customer publishes: the v1 token TXT, DKIM, MAIL FROM MX and SPF."""
        identity = self._repo.get(account_id, lookup_name(raw_name))
        if identity is None:
            raise _not_found(raw_name)
        records: list[DnsRecord] = []
        if identity.verification_token:
            records.append(DnsRecord(f"_amazonses.{identity.name}", "TXT", identity.verification_token))
        records.extend(self._customer_dkim_records(identity))
        if identity.mail_from is not None:
            domain = identity.mail_from.domain
            records.append(DnsRecord(domain, "MX", f"10 {self._settings.mail_from_mx_host}"))
            records.append(
                DnsRecord(domain, "TXT", f"v=spf1 include:{self._settings.spf_include_domain} ~all")
            )
        return records

    def verified_identity_for(self, account_id: str, address_or_domain: str) -> Identity | None:
        """The most specific verified identity that lets the account send as
        ``address_or_domain``: the address itself, else its domain or a parent domain."""
        candidates = _sender_candidates(address_or_domain)
        return _most_specific_verified(candidates, self._repo.get_many(account_id, candidates))

    def sending_identity(self, account_id: str, address: str) -> tuple[Identity, str | None] | None:
        """For a send as ``address``: the verified identity that allows it and the custom MAIL
        FROM domain to use (None: the default), from one read; None if nothing allows it.

        When the MAIL FROM domain is not verified, its MX-failure behaviour decides, as in SES:
        fall back to the default, or refuse the send (MailFromDomainNotVerified)."""
        candidates = _sender_candidates(address)
        found = self._repo.get_many(account_id, candidates)
        verified = _most_specific_verified(candidates, found)
        if verified is None:
            return None
        for candidate in candidates:
            identity = found.get(candidate)
            if identity is None or identity.mail_from is None:
                continue
            mail_from = identity.mail_from
            if mail_from.status is Status.SUCCESS:
                return verified, mail_from.domain
            if mail_from.behavior is MxFailureBehavior.REJECT_MESSAGE:
                raise MailFromDomainNotVerified(
                    f"The MAIL FROM domain {mail_from.domain} of {candidate} is not verified."
                )
            return verified, None
        return verified, None

    def dkim_signing_key(self, account_id: str, address_or_domain: str) -> DkimSigningKey | None:
        """The key to sign mail from ``address_or_domain`` with: that of the most specific
        domain identity with DKIM enabled and verified; None if there is none."""
        domain = lookup_name(address_or_domain).rpartition("@")[2]
        candidates = parent_domains(domain)
        found = self._repo.get_many(account_id, candidates)
        for candidate in candidates:
            identity = found.get(candidate)
            if identity is None or identity.dkim is None:
                continue
            if identity.dkim.enabled and identity.dkim.status is Status.SUCCESS and identity.dkim.keys:
                key = identity.dkim.keys[0]
                pem = self._cipher.decrypt(key.private_key, _key_context(account_id, identity.name))
                return DkimSigningKey(identity.name, key.selector, pem)
        return None

    # --- internals: DKIM material ----------------------------------------------------------------

    def _dkim_for_request(
        self, account_id: str, domain: str, request: DkimSigningRequest | None, now: float
    ) -> Dkim:
        request = request or DkimSigningRequest()
        external = request.origin is SigningOrigin.EXTERNAL or bool(request.selector or request.private_key)
        if external:
            return self._byodkim(account_id, domain, request, now)
        return self._easy_dkim(
            account_id, domain, request.next_key_length or dkim_keys.DEFAULT_KEY_LENGTH, now
        )

    def _easy_dkim(
        self,
        account_id: str,
        domain: str,
        length: KeyLength,
        now: float,
        tokens: Sequence[str] | None = None,
    ) -> Dkim:
        selectors = (
            list(tokens)
            if tokens
            else [dkim_keys.new_dkim_token() for _ in range(dkim_keys.EASY_DKIM_KEY_COUNT)]
        )
        keys = []
        for selector in selectors:
            private = self._key_factory(length.bits)
            keys.append(
                DkimKey(
                    selector=selector,
                    public_key=dkim_keys.public_key_b64(private),
                    private_key=self._cipher.encrypt(
                        dkim_keys.private_key_pem(private), _key_context(account_id, domain)
                    ),
                )
            )
        return Dkim(
            origin=SigningOrigin.AWS_SES,
            enabled=True,
            status=Status.PENDING,
            keys=keys,
            started_at=now,
            key_generated_at=now,
            current_key_length=length,
            next_key_length=length,
        )

    def _byodkim(self, account_id: str, domain: str, request: DkimSigningRequest, now: float) -> Dkim:
        if not request.selector or not request.private_key:
            raise InvalidParameterValue(
                "DomainSigningSelector and DomainSigningPrivateKey are required for EXTERNAL signing."
            )
        if len(request.selector) > 63 or not SELECTOR_SYNTAX.match(request.selector):
            raise InvalidParameterValue(f"Invalid DKIM selector <{request.selector}>.")
        private = dkim_keys.load_customer_private_key(request.private_key)
        key = DkimKey(
            selector=request.selector,
            public_key=dkim_keys.public_key_b64(private),
            private_key=self._cipher.encrypt(
                dkim_keys.private_key_pem(private), _key_context(account_id, domain)
            ),
        )
        return Dkim(
            origin=SigningOrigin.EXTERNAL,
            enabled=True,
            status=Status.PENDING,
            keys=[key],
            started_at=now,
            key_generated_at=now,
        )

    def _selectors_and_keys(self, dkim: Dkim) -> list[tuple[str, str]]:
        return [(key.selector, key.public_key) for key in dkim.keys]

    def _zone_records(self, identity: Identity) -> list[DnsRecord]:
        """What Sesame itself publishes for the identity (Easy DKIM keys in the signing zone)."""
        dkim = identity.dkim
        if self._zone is None or dkim is None or dkim.origin is not SigningOrigin.AWS_SES:
            return []
        return dkim_keys.zone_key_records(self._selectors_and_keys(dkim), self._zone)

    def _customer_dkim_records(self, identity: Identity) -> list[DnsRecord]:
        dkim = identity.dkim
        if dkim is None:
            return []
        zone = self._zone if dkim.origin is SigningOrigin.AWS_SES else None
        return dkim_keys.customer_key_records(identity.name, self._selectors_and_keys(dkim), zone)

    def _expected_keys(self, identity: Identity) -> list[ExpectedKey]:
        dkim = identity.dkim
        if dkim is None:
            return []
        zone = self._zone if dkim.origin is SigningOrigin.AWS_SES else None
        return [
            ExpectedKey(
                selector=key.selector,
                public_key=key.public_key,
                cname_target=dkim_keys.easy_cname_target(key.selector, zone) if zone else None,
            )
            for key in dkim.keys
        ]

    # --- internals: checking ---------------------------------------------------------------------

    def _recheck(self, identity: Identity, now: float, *, force_dkim: bool = False) -> None:
        """Look in DNS for whatever is still open and move statuses on; then reschedule."""
        identity.last_checked_at = now
        dkim_outcome: Outcome | None = None
        dkim = identity.dkim
        if dkim is not None and (dkim.status.open or force_dkim):
            dkim_outcome = check_dkim(self._dns, identity.name, self._expected_keys(identity))
            dkim.status = _advance(dkim.status, dkim_outcome, dkim.started_at + DNS_DEADLINE, now)

        if identity.type is IdentityType.DOMAIN and identity.status.open:
            token_outcome: Outcome | None = None
            if identity.verification_token and not (dkim and dkim.status is Status.SUCCESS):
                token_outcome = check_verification_token(
                    self._dns, identity.name, identity.verification_token
                )
            if (dkim and dkim.status is Status.SUCCESS) or token_outcome is Outcome.FOUND:
                identity.status = Status.SUCCESS
                identity.last_success_at = now
                identity.last_error = None
            else:
                # Either way of verifying keeps the domain pending until both have run out of
                # time: a restarted DKIM check extends the domain's deadline too.
                deadline = identity.pending_since + DNS_DEADLINE
                if dkim is not None:
                    deadline = max(deadline, dkim.started_at + DNS_DEADLINE)
                outcomes = [o for o in (dkim_outcome, token_outcome) if o is not None]
                temporary = Outcome.TEMPORARY in outcomes or bool(
                    dkim and dkim.status is Status.TEMPORARY_FAILURE
                )
                if now >= deadline:
                    identity.status = Status.FAILED
                elif temporary:
                    identity.status = Status.TEMPORARY_FAILURE
                else:
                    identity.status = Status.PENDING
                if outcomes:
                    identity.last_error = _OUTCOME_ERROR.get(outcomes[0])

        expired = now >= identity.pending_since + EMAIL_DEADLINE
        if identity.type is IdentityType.EMAIL_ADDRESS and identity.status.open and expired:
            identity.status = Status.FAILED

        mail_from = identity.mail_from
        if mail_from is not None and mail_from.status.open:
            outcome = check_mail_from(
                self._dns,
                mail_from.domain,
                self._settings.mail_from_mx_host,
                self._settings.spf_include_domain,
            )
            mail_from.status = _advance(mail_from.status, outcome, mail_from.started_at + DNS_DEADLINE, now)
        self._schedule(identity, now)

    def _schedule(self, identity: Identity, now: float) -> None:
        """Check bookkeeping: when the checker should look at this identity next, if ever."""
        dns_open = (
            (identity.dkim is not None and identity.dkim.status.open)
            or (identity.type is IdentityType.DOMAIN and identity.status.open)
            or (identity.mail_from is not None and identity.mail_from.status.open)
        )
        if dns_open:
            identity.check_state = CheckState.PENDING
            identity.next_check_at = now + self._settings.check_interval
        elif identity.type is IdentityType.EMAIL_ADDRESS and identity.status.open:
            # Nothing to look up for an address: the only event to wait for is its deadline.
            identity.check_state = CheckState.PENDING
            identity.next_check_at = identity.pending_since + EMAIL_DEADLINE
        else:
            identity.check_state = CheckState.DONE
            identity.next_check_at = None

    def _restart_failed_verification(self, identity: Identity, now: float) -> None:
        # New DKIM records can verify a domain whose verification had run out of time.
        if identity.type is IdentityType.DOMAIN and identity.status is Status.FAILED:
            identity.status = Status.PENDING
            identity.pending_since = now

    def _refreshed(self, identity: Identity) -> Identity:
        """``identity``, re-checked first if it is pending and its last check is older than the
        check interval. A lost race only means someone else just checked: use their result."""
        now = self._clock()
        last = identity.last_checked_at
        stale = last is None or now - last >= self._settings.check_interval
        if identity.check_state is not CheckState.PENDING or not stale:
            return identity
        updated = copy.deepcopy(identity)
        self._recheck(updated, now)
        try:
            self._repo.replace(updated, identity.version)
        except StaleIdentity:
            latest = self._repo.get(identity.account_id, identity.name)
            return latest if latest is not None else identity
        except Exception:
            # The check is a courtesy of the read: if its write fails, answer what is stored
            # (the checker will get there) rather than failing the read.
            log.warning("could not store the re-check of %s", identity.name, exc_info=True)
            return identity
        updated.version = identity.version + 1
        return updated

    # --- internals: storage --------------------------------------------------------------------

    def _insert(self, identity: Identity) -> None:
        """Store a new identity, publishing its zone records first so that a stored identity
        never points at keys that are not there; undone if the store refuses."""
        records = self._zone_records(identity)
        if records and self._publisher is not None:
            self._publisher.publish(records)
        try:
            self._repo.create(identity)
        except IdentityAlreadyStored:
            self._withdraw_quietly(records)
            raise AlreadyExists(f"Email identity {identity.name} already exists.") from None
        except Exception:
            self._withdraw_quietly(records)
            raise
        identity.version = 1

    def _update(
        self,
        account_id: str,
        name: str,
        change: Callable[[Identity], None],
        *,
        missing: str | None = None,
    ) -> Identity:
        """Read, change, write back if unchanged meanwhile; retried on a lost race. Zone records
        the change adds are published before the write and those it drops withdrawn after."""
        for _ in range(_MAX_ATTEMPTS):
            current = self._repo.get(account_id, name)
            if current is None:
                raise _not_found(missing or name)
            updated = copy.deepcopy(current)
            change(updated)
            if updated == current:
                return current
            old_records = set(self._zone_records(current))
            new_records = set(self._zone_records(updated))
            added = sorted(new_records - old_records, key=_record_key)
            if added and self._publisher is not None:
                self._publisher.publish(added)
            try:
                self._repo.replace(updated, current.version)
            except StaleIdentity:
                self._withdraw_quietly(added)
                continue
            except Exception:
                self._withdraw_quietly(added)
                raise
            updated.version = current.version + 1
            # Records replaced in place (a rotation keeps the names) are already overwritten.
            new_names = {record.name for record in new_records}
            dropped = [
                record
                for record in sorted(old_records - new_records, key=_record_key)
                if record.name not in new_names
            ]
            self._withdraw_quietly(dropped)
            return updated
        raise ConcurrentModification(f"Identity {name} is being changed by another request.")

    def _withdraw_quietly(self, records: Sequence[DnsRecord]) -> None:
        # A key left in the zone is harmless (its private half is gone); failing the customer's
        # request over it would not be.
        if not records or self._publisher is None:
            return
        try:
            self._publisher.withdraw(records)
        except Exception:
            log.exception("could not withdraw %d DKIM key record(s)", len(records))

    def _send_link(
        self,
        identity: Identity,
        *,
        mailer: VerificationMailer | None = None,
        redirect_template: str | None = None,
    ) -> None:
        expires = identity.pending_since + EMAIL_DEADLINE
        if identity.status is Status.SUCCESS:
            expires = self._clock() + EMAIL_DEADLINE  # a fresh link to a page that says so
        token = issue_token(
            self._mac, identity.account_id, identity.name, expires, template=redirect_template
        )
        (mailer or self._mailer).send_verification(
            identity.account_id, identity.name, link_for(self._settings.public_base_url, token)
        )

    def _view(self, identity: Identity, known: dict[str, Identity] | None = None) -> IdentityView:
        if identity.type is IdentityType.DOMAIN:
            return IdentityView(identity, identity.dkim, identity.status is Status.SUCCESS)
        domains = {n: i for n, i in (known or {}).items() if i.type is IdentityType.DOMAIN}
        parents = [domains[name] for name in parent_domains(identity.domain) if name in domains]
        # The closest domain with DKIM signs the address's mail, as dkim_signing_key picks it.
        dkim = next((parent.dkim for parent in parents if parent.dkim is not None), None)
        verified = identity.status is Status.SUCCESS or any(p.status is Status.SUCCESS for p in parents)
        return IdentityView(identity, dkim, verified)


def _sender_candidates(address_or_domain: str) -> list[str]:
    """The identities that may authorise sending as ``address_or_domain``, most specific first:
    the address itself, then its domain and each parent domain."""
    name = lookup_name(address_or_domain)
    return ([name] if "@" in name else []) + parent_domains(name.rpartition("@")[2])


def _most_specific_verified(candidates: Sequence[str], found: dict[str, Identity]) -> Identity | None:
    return next((found[c] for c in candidates if c in found and found[c].status is Status.SUCCESS), None)


def _advance(status: Status, outcome: Outcome, deadline: float, now: float) -> Status:
    if outcome is Outcome.FOUND:
        return Status.SUCCESS
    if now >= deadline:
        return Status.FAILED
    if outcome is Outcome.TEMPORARY:
        return Status.TEMPORARY_FAILURE
    return Status.PENDING


def _key_context(account_id: str, identity: str) -> dict[str, str]:
    # Bound into the ciphertext: a key copied to another identity's record does not decrypt.
    return {"account_id": account_id, "identity": identity, "purpose": "dkim"}


def _record_key(record: DnsRecord) -> tuple[str, str, str]:
    return (record.name, record.type, record.value)


def _encode_page_token(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode("utf-8")).decode("ascii")


def _decode_page_token(token: str) -> str:
    # The token only says where to resume inside the caller's own account (the account comes
    # from the signature, never from the token), so it needs no signature of its own.
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeEncodeError):
        raise InvalidNextToken("The NextToken is not valid.") from None
    if not isinstance(after, str):
        raise InvalidNextToken("The NextToken is not valid.")
    return after


__all__ = [
    "ConfirmationOutcome",
    "Dkim",
    "DkimKey",
    "DkimKeyPublisher",
    "DkimSigningKey",
    "DkimSigningRequest",
    "DnsLookup",
    "DnsRecord",
    "EmailConfirmation",
    "Identity",
    "IdentityRepository",
    "IdentityService",
    "IdentitySummary",
    "IdentityType",
    "IdentityView",
    "KeyLength",
    "MailFrom",
    "MxFailureBehavior",
    "NotificationAttributes",
    "NotificationType",
    "SigningOrigin",
    "Status",
    "Tag",
    "VerificationMailer",
]
