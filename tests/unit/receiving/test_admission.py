"""What the MX lets in: recipient conditions, IP filters, and how several accounts' settings
combine on one server."""

from __future__ import annotations

import pytest

from sesame.domain.receiving.admission import MxPolicy, ReceivingDirectory, RecipientVerdict
from sesame.domain.receiving.matching import ip_blocked, parse_networks, recipient_matches, rule_recipients
from sesame.domain.receiving.rule_model import FilterPolicy, IpFilter, ReceiptRule, RuleSet, TlsPolicy
from tests.unit.receiving.fakes import InMemoryRuleRepository

A, B = "111111111111", "222222222222"


@pytest.mark.parametrize(
    ("condition", "address", "matches"),
    [
        ("info@example.com", "info@example.com", True),
        ("info@example.com", "INFO@Example.COM", True),
        ("info@example.com", "sales@example.com", False),
        ("example.com", "anyone@example.com", True),
        ("example.com", "anyone@mail.example.com", False),
        (".example.com", "anyone@mail.example.com", True),
        (".example.com", "anyone@a.b.example.com", True),
        (".example.com", "anyone@example.com", False),
        (".example.com", "anyone@badexample.com", False),
    ],
)
def test_recipient_conditions_match_as_ses_documents(condition: str, address: str, matches: bool) -> None:
    assert recipient_matches(condition, address) is matches


def test_a_rule_without_recipients_takes_all_of_them_and_order_is_kept() -> None:
    recipients = ("b@example.com", "a@example.org")
    assert rule_recipients(ReceiptRule(name="all"), recipients) == recipients
    assert rule_recipients(ReceiptRule(name="org", recipients=("example.org",)), recipients) == (
        "a@example.org",
    )


def test_an_allow_filter_wins_over_blocks_and_the_built_in_list() -> None:
    built_in = parse_networks(["192.0.2.0/24"])
    filters = [
        IpFilter("block-range", FilterPolicy.BLOCK, "10.0.0.0/8"),
        IpFilter("allow-one", FilterPolicy.ALLOW, "10.1.2.3/32"),
        IpFilter("allow-doc", FilterPolicy.ALLOW, "192.0.2.7"),
    ]
    assert ip_blocked("10.9.9.9", filters, built_in)
    assert not ip_blocked("10.1.2.3", filters, built_in)
    assert ip_blocked("192.0.2.8", filters, built_in)
    assert not ip_blocked("192.0.2.7", filters, built_in)
    assert not ip_blocked("::ffff:10.1.2.3", filters, built_in)  # IPv4-mapped: the same address
    assert not ip_blocked("2001:db8::1", filters, built_in)
    assert ip_blocked("not an address", filters, built_in)


def configured(
    *,
    verified: dict[str, set[str]],
    rules: dict[str, list[ReceiptRule]],
    filters: dict[str, list[IpFilter]] | None = None,
    built_in: tuple[str, ...] = (),
) -> MxPolicy:
    repo = InMemoryRuleRepository()
    for account, account_rules in rules.items():
        repo.create_rule_set(account, RuleSet(name="active", created_at=0.0, rules=tuple(account_rules)))
        repo.set_active_rule_set(account, "active")
    for account, account_filters in (filters or {}).items():
        for ip_filter in account_filters:
            repo.create_filter(account, ip_filter)

    def verified_domain(account: str, domain: str) -> bool:
        return any(domain == d or domain.endswith("." + d) for d in verified.get(account, set()))

    return MxPolicy(ReceivingDirectory(repo), verified_domain, built_in_block_list=built_in)


def test_each_account_takes_only_recipients_of_domains_it_verified() -> None:
    policy = configured(
        verified={A: {"a.example"}, B: {"b.example"}},
        # B's catch-all rule names A's domain too: it must not capture A's mail.
        rules={
            A: [ReceiptRule("all", enabled=True)],
            B: [ReceiptRule("all", enabled=True, recipients=("a.example", "b.example"))],
        },
    )
    session = policy.open_session("198.51.100.1")
    assert session is not None

    to_a = session.route("someone@a.example", tls=False)
    to_b = session.route("someone@sub.b.example", tls=False)
    nobody = session.route("someone@c.example", tls=False)

    assert (to_a.verdict, to_a.accounts) == (RecipientVerdict.ACCEPTED, (A,))
    assert (to_b.verdict, to_b.accounts) == (RecipientVerdict.UNKNOWN, ())  # b.example rule: no subdomains
    assert nobody.verdict is RecipientVerdict.UNKNOWN
    deliveries = session.deliveries({A: ["someone@a.example"]})
    assert [(d.account_id, d.recipients, [r.name for r in d.rules]) for d in deliveries] == [
        (A, ("someone@a.example",), ["all"])
    ]


def test_disabled_rules_do_not_take_mail() -> None:
    policy = configured(verified={A: {"a.example"}}, rules={A: [ReceiptRule("off", enabled=False)]})
    session = policy.open_session("198.51.100.1")
    assert session is not None
    assert session.route("x@a.example", tls=False).verdict is RecipientVerdict.UNKNOWN


def test_a_rule_requiring_tls_refuses_the_recipient_without_it() -> None:
    rule = ReceiptRule("secure", enabled=True, tls_policy=TlsPolicy.REQUIRE, recipients=("vault@a.example",))
    policy = configured(verified={A: {"a.example"}}, rules={A: [rule, ReceiptRule("all", enabled=True)]})
    session = policy.open_session("198.51.100.1")
    assert session is not None

    assert session.route("vault@a.example", tls=False).verdict is RecipientVerdict.TLS_REQUIRED
    assert session.route("vault@a.example", tls=True).verdict is RecipientVerdict.ACCEPTED
    assert session.route("other@a.example", tls=False).verdict is RecipientVerdict.ACCEPTED


def test_a_connection_is_refused_only_when_every_account_blocks_the_client() -> None:
    rules = {A: [ReceiptRule("all", enabled=True)], B: [ReceiptRule("all", enabled=True)]}
    verified = {A: {"a.example"}, B: {"b.example"}}
    block = IpFilter("block", FilterPolicy.BLOCK, "203.0.113.0/24")

    only_a_blocks = configured(verified=verified, rules=rules, filters={A: [block]})
    both_block = configured(verified=verified, rules=rules, filters={A: [block], B: [block]})

    session = only_a_blocks.open_session("203.0.113.9")
    assert session is not None
    assert session.route("x@a.example", tls=False).verdict is RecipientVerdict.UNKNOWN  # A refuses it
    assert session.route("x@b.example", tls=False).accounts == (B,)
    assert both_block.open_session("203.0.113.9") is None


def test_the_built_in_list_blocks_unless_an_account_allows_the_address() -> None:
    rules = {A: [ReceiptRule("all", enabled=True)]}
    plain = configured(verified={A: {"a.example"}}, rules=rules, built_in=("192.0.2.0/24",))
    allowing = configured(
        verified={A: {"a.example"}},
        rules=rules,
        filters={A: [IpFilter("ok", FilterPolicy.ALLOW, "192.0.2.1")]},
        built_in=("192.0.2.0/24",),
    )
    nobody = configured(verified={}, rules={}, built_in=("192.0.2.0/24",))

    assert plain.open_session("192.0.2.1") is None
    assert allowing.open_session("192.0.2.1") is not None
    assert nobody.open_session("192.0.2.1") is None
    assert nobody.open_session("198.51.100.1") is not None


def test_the_directory_reloads_an_account_only_when_its_generation_moves() -> None:
    repo = InMemoryRuleRepository()
    repo.create_rule_set(A, RuleSet(name="s", created_at=0.0, rules=(ReceiptRule("one", enabled=True),)))
    repo.set_active_rule_set(A, "s")
    directory = ReceivingDirectory(repo)
    assert [r.name for r in directory.accounts()[0].rule_set.rules] == ["one"]

    # A write behind the registry's back (no generation change) is not seen...
    stored = repo.sets[(A, "s")]
    repo.sets[(A, "s")] = type(stored)(RuleSet(name="s", created_at=0.0, rules=()), stored.version)
    assert [r.name for r in directory.accounts()[0].rule_set.rules] == ["one"]
    # ...one that moves the generation is.
    repo.generations[A] += 1
    assert directory.accounts()[0].rule_set.rules == ()
