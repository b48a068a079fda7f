"""The MX takes reports about mail we sent at the messages' envelope senders, whatever the
receipt rules say."""

from __future__ import annotations

from sesame.domain.receiving.admission import MxPolicy, ReceivingDirectory, RecipientVerdict
from sesame.domain.receiving.rule_model import ReceiptRule, RuleSet
from tests.unit.receiving.fakes import InMemoryRuleRepository

VERP = "0100019ac0ffee00-8d4f3f0e-3c8a-4d0e-9a51-0f6e6b2b1c7d-000000@sesame.localhost"


def policy(*, with_rules: bool) -> MxPolicy:
    repo = InMemoryRuleRepository()
    if with_rules:
        repo.create_rule_set(
            "111111111111", RuleSet(name="r", created_at=0.0, rules=(ReceiptRule("all", enabled=True),))
        )
        repo.set_active_rule_set("111111111111", "r")
    return MxPolicy(
        ReceivingDirectory(repo),
        lambda account, domain: domain == "example.com",
        feedback_address=lambda address: address == VERP,
    )


def test_the_envelope_sender_of_a_sent_message_is_a_feedback_route_with_or_without_rule_sets() -> None:
    for with_rules in (False, True):
        session = policy(with_rules=with_rules).open_session("198.51.100.1")
        assert session is not None
        assert session.route(VERP, tls=False).verdict is RecipientVerdict.FEEDBACK


def test_other_addresses_are_routed_by_the_receipt_rules_as_before() -> None:
    session = policy(with_rules=True).open_session("198.51.100.1")
    assert session is not None
    assert session.route("ann@example.com", tls=False).verdict is RecipientVerdict.ACCEPTED
    unknown = VERP.replace("0100019ac0ffee00", "0100019ac0ffee01")
    assert session.route(unknown, tls=False).verdict is RecipientVerdict.UNKNOWN
