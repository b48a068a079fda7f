"""What the MX lets in, in SES's order: IP filters when a client connects, then each recipient
against the accounts' active receipt rule sets.

One MX serves every account, so the accounts' settings are combined this way:

* A connection is refused only when every account with an active rule set blocks the client's
  address (its own Block filters or the built-in block list, unless its Allow filters cover
  the address; with no active rule set anywhere, the built-in list alone decides). An address
  one account blocks can still send to another account's recipients.
* A recipient is accepted for each account whose filters let the client in, whose active rule
  set has an enabled rule matching the recipient, and which has verified the recipient's domain
  (or a parent domain): an account cannot capture mail for a domain it has not verified. If a
  matching rule requires TLS and the session is not encrypted, that account does not take the
  recipient. A recipient no account takes is refused.
* Each account's rules see only that account's recipients.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sesame.domain.receiving.matching import Network, ip_blocked, parse_networks, rule_recipients
from sesame.domain.receiving.rule_model import AccountReceiving, ReceiptRule, TlsPolicy
from sesame.domain.receiving.rule_ports import ReceiptRuleRepository

VerifiedDomain = Callable[[str, str], bool]  # (account id, domain) -> verified (itself or a parent)
# recipient -> whether it is the envelope sender (VERP address) of a message we delivered.
FeedbackAddress = Callable[[str], bool]


class ReceivingDirectory:
    """Every account's active rule set and filters, as the MX needs them. Each call reads the
    registry (one query) and reloads only the accounts whose generation moved since."""

    def __init__(self, repository: ReceiptRuleRepository) -> None:
        self._repo = repository
        self._cache: dict[str, tuple[int, AccountReceiving | None]] = {}
        self._lock = threading.Lock()

    def accounts(self) -> list[AccountReceiving]:
        found: list[AccountReceiving] = []
        for state in self._repo.receiving_states():
            if state.active_rule_set is None:
                continue
            with self._lock:
                cached = self._cache.get(state.account_id)
            if cached is not None and cached[0] == state.generation:
                config = cached[1]
            else:
                config = self._load(state.account_id, state.active_rule_set)
                with self._lock:
                    self._cache[state.account_id] = (state.generation, config)
            if config is not None:
                found.append(config)
        return found

    def _load(self, account_id: str, rule_set: str) -> AccountReceiving | None:
        stored = self._repo.get_rule_set(account_id, rule_set)
        if stored is None:
            return None
        return AccountReceiving(
            account_id=account_id,
            rule_set=stored.rule_set,
            filters=tuple(self._repo.list_filters(account_id)),
        )


class RecipientVerdict(StrEnum):
    ACCEPTED = "ACCEPTED"
    UNKNOWN = "UNKNOWN"  # no account takes mail for it
    TLS_REQUIRED = "TLS_REQUIRED"  # an account would, but its rule requires TLS
    FEEDBACK = "FEEDBACK"  # a DSN or feedback report about mail we sent, whatever the rules


@dataclass(frozen=True)
class RecipientRoute:
    verdict: RecipientVerdict
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountDelivery:
    """One account's share of an accepted message: its recipients and the rules for them."""

    account_id: str
    rule_set: str
    recipients: tuple[str, ...]
    rules: tuple[ReceiptRule, ...]


def _enabled_rules_for(config: AccountReceiving, recipients: Sequence[str]) -> tuple[ReceiptRule, ...]:
    return tuple(r for r in config.rule_set.rules if r.enabled and rule_recipients(r, recipients))


class MxSession:
    """The admission decisions of one SMTP connection, against the configuration read when it
    opened."""

    def __init__(
        self,
        accounts: Sequence[AccountReceiving],
        verified_domain: VerifiedDomain,
        feedback_address: FeedbackAddress | None = None,
    ) -> None:
        self._accounts = {config.account_id: config for config in accounts}
        self._feedback_address = feedback_address
        self._verified_domain = verified_domain
        self._verified: dict[tuple[str, str], bool] = {}

    def _domain_verified(self, account_id: str, domain: str) -> bool:
        key = (account_id, domain)
        if key not in self._verified:
            self._verified[key] = self._verified_domain(account_id, domain)
        return self._verified[key]

    def route(self, recipient: str, *, tls: bool) -> RecipientRoute:
        if self._feedback_address is not None and self._feedback_address(recipient):
            return RecipientRoute(RecipientVerdict.FEEDBACK)
        domain = recipient.rpartition("@")[2].lower()
        accounts: list[str] = []
        tls_refused = False
        for account_id, config in self._accounts.items():
            matched = _enabled_rules_for(config, [recipient])
            if not matched or not self._domain_verified(account_id, domain):
                continue
            if not tls and any(rule.tls_policy is TlsPolicy.REQUIRE for rule in matched):
                tls_refused = True
                continue
            accounts.append(account_id)
        if accounts:
            return RecipientRoute(RecipientVerdict.ACCEPTED, tuple(accounts))
        return RecipientRoute(RecipientVerdict.TLS_REQUIRED if tls_refused else RecipientVerdict.UNKNOWN)

    def deliveries(self, accepted: Mapping[str, Sequence[str]]) -> list[AccountDelivery]:
        """Per account (``accepted``: account id -> its accepted recipients), the rules to run."""
        found: list[AccountDelivery] = []
        for account_id, recipients in accepted.items():
            config = self._accounts.get(account_id)
            if config is None or not recipients:
                continue
            found.append(
                AccountDelivery(
                    account_id=account_id,
                    rule_set=config.rule_set.name,
                    recipients=tuple(recipients),
                    rules=_enabled_rules_for(config, recipients),
                )
            )
        return found


class MxPolicy:
    def __init__(
        self,
        directory: ReceivingDirectory,
        verified_domain: VerifiedDomain,
        *,
        built_in_block_list: Sequence[str] = (),
        feedback_address: FeedbackAddress | None = None,
    ) -> None:
        self._feedback_address = feedback_address
        self._directory = directory
        self._verified_domain = verified_domain
        self._built_in: tuple[Network, ...] = parse_networks(built_in_block_list)

    def open_session(self, client_ip: str) -> MxSession | None:
        """The session's admission rules, or None when the client is to be refused."""
        configured = self._directory.accounts()
        if not configured:
            return (
                None
                if ip_blocked(client_ip, (), self._built_in)
                else MxSession((), self._verified_domain, self._feedback_address)
            )
        open_to = [c for c in configured if not ip_blocked(client_ip, c.filters, self._built_in)]
        if not open_to:
            return None
        return MxSession(open_to, self._verified_domain, self._feedback_address)
