"""The receipt rule service against in-memory ports: SES's limits, names, paging and the
read-modify-write retry."""

from __future__ import annotations

import pytest

from sesame.domain.errors import (
    ConcurrentModification,
    InvalidNextToken,
    InvalidParameterValue,
    LimitExceeded,
)
from sesame.domain.receiving.rule_model import (
    MAX_FILTERS,
    MAX_RULE_SETS,
    MAX_RULES_PER_SET,
    AddHeaderAction,
    BounceAction,
    FilterPolicy,
    IpFilter,
    ReceiptRule,
    RuleSet,
    StopAction,
    action_from_wire,
)
from sesame.domain.receiving.rule_service import ReceiptRuleService
from tests.unit.receiving.fakes import FakeTargets, InMemoryRuleRepository

A = "111111111111"


def service(repo: InMemoryRuleRepository | None = None) -> tuple[ReceiptRuleService, InMemoryRuleRepository]:
    repo = repo or InMemoryRuleRepository()
    return ReceiptRuleService(repository=repo, targets=FakeTargets(), clock=lambda: 1_700_000_000.0), repo


def test_an_account_has_at_most_forty_rule_sets() -> None:
    rules, _ = service()
    for i in range(MAX_RULE_SETS):
        rules.create_rule_set(A, f"set{i}")

    with pytest.raises(LimitExceeded):
        rules.create_rule_set(A, "one-more")
    with pytest.raises(LimitExceeded):
        rules.clone_rule_set(A, "copy", "set0")


def test_a_rule_set_has_at_most_two_hundred_rules() -> None:
    rules, _ = service()
    rules.create_rule_set(A, "s")
    for i in range(MAX_RULES_PER_SET):
        rules.create_rule(A, "s", ReceiptRule(name=f"r{i}"), after=None)

    with pytest.raises(LimitExceeded):
        rules.create_rule(A, "s", ReceiptRule(name="one-more"), after=None)


def test_a_rule_has_at_most_a_hundred_recipients_and_ten_actions() -> None:
    rules, _ = service()
    rules.create_rule_set(A, "s")
    many_recipients = tuple(f"user{i}@example.com" for i in range(101))
    many_actions = tuple(AddHeaderAction("X-N", str(i)) for i in range(11))

    with pytest.raises(LimitExceeded):
        rules.create_rule(A, "s", ReceiptRule(name="r", recipients=many_recipients), after=None)
    with pytest.raises(LimitExceeded):
        rules.create_rule(A, "s", ReceiptRule(name="r", actions=many_actions), after=None)
    rules.create_rule(A, "s", ReceiptRule(name="r", recipients=many_recipients[:100]), after=None)


def test_an_account_has_at_most_a_hundred_ip_filters() -> None:
    rules, _ = service()
    for i in range(MAX_FILTERS):
        rules.create_filter(A, IpFilter(f"f{i}", FilterPolicy.BLOCK, f"10.0.{i}.0/24"))

    with pytest.raises(LimitExceeded):
        rules.create_filter(A, IpFilter("one-more", FilterPolicy.BLOCK, "10.1.0.0/24"))


def test_rule_sets_are_listed_a_hundred_at_a_time_in_name_order() -> None:
    rules, repo = service()
    for i in range(150):
        repo.create_rule_set(A, RuleSet(name=f"set{i:03d}", created_at=0.0))

    first, token = rules.list_rule_sets(A)
    second, last = rules.list_rule_sets(A, token)

    assert [s.name for s in first] == [f"set{i:03d}" for i in range(100)]
    assert [s.name for s in second] == [f"set{i:03d}" for i in range(100, 150)]
    assert token is not None and last is None
    with pytest.raises(InvalidNextToken):
        rules.list_rule_sets(A, "%%%not-a-token")


def test_a_change_that_loses_a_race_is_retried_on_the_new_version() -> None:
    rules, repo = service()
    rules.create_rule_set(A, "s")
    repo.interfere = 2

    rules.create_rule(A, "s", ReceiptRule(name="r"), after=None)

    assert [r.name for r in rules.describe_rule_set(A, "s").rules] == ["r"]


def test_a_change_that_keeps_losing_gives_up_with_concurrent_modification() -> None:
    rules, repo = service()
    rules.create_rule_set(A, "s")
    repo.interfere = 100

    with pytest.raises(ConcurrentModification):
        rules.create_rule(A, "s", ReceiptRule(name="r"), after=None)


@pytest.mark.parametrize("name", ["", "-starts-with-dash", "ends.", "has space", "x" * 65, "ünïcode"])
def test_rule_and_rule_set_names_follow_ses_rules(name: str) -> None:
    rules, _ = service()
    with pytest.raises(InvalidParameterValue):
        rules.create_rule_set(A, name)
    rules.create_rule_set(A, "ok.name_1-x")
    with pytest.raises(InvalidParameterValue):
        rules.create_rule(A, "ok.name_1-x", ReceiptRule(name=name), after=None)


@pytest.mark.parametrize(
    "action",
    [
        AddHeaderAction("X Bad", "v"),
        AddHeaderAction("X-Good", "line\nbreak"),
        BounceAction(smtp_reply_code="250", message="m", sender="a@example.com"),
        BounceAction(smtp_reply_code="550", message="m", sender="a@example.com", status_code="5.1"),
        BounceAction(smtp_reply_code="550", message="m", sender="not-an-address"),
    ],
)
def test_invalid_action_values_are_refused(action: AddHeaderAction | BounceAction) -> None:
    rules, _ = service()
    rules.create_rule_set(A, "s")
    with pytest.raises(InvalidParameterValue):
        rules.create_rule(A, "s", ReceiptRule(name="r", actions=(action,)), after=None)


def test_an_action_must_name_exactly_one_kind_and_stop_is_read_with_its_topic() -> None:
    with pytest.raises(InvalidParameterValue):
        action_from_wire({})
    with pytest.raises(InvalidParameterValue):
        action_from_wire({"StopAction": {"Scope": "RuleSet"}, "AddHeaderAction": {"HeaderName": "a"}})
    assert action_from_wire({"StopAction": {"Scope": "RuleSet", "TopicArn": "t"}}) == StopAction("t")


def test_connect_actions_are_refused_with_a_clear_error() -> None:
    with pytest.raises(InvalidParameterValue, match="Connect"):
        action_from_wire({"ConnectAction": {"InstanceARN": "arn", "IAMRoleARN": "arn"}})
