"""An identity's notification settings: topics per type, headers in notifications, feedback
forwarding and SES's rules tying them together; and how they are stored."""

from __future__ import annotations

import pytest

from sesame.adapters.dynamodb_identities import from_item, to_item
from sesame.domain.errors import InvalidParameterValue, NotFound
from sesame.domain.identities import NotificationType
from tests.unit.events.identity_world import (
    BOUNCES,
    COMPLAINTS,
    DELIVERIES,
    A,
    IdentityWorld,
    make_identity_world,
)

BOUNCE, COMPLAINT, DELIVERY = NotificationType.BOUNCE, NotificationType.COMPLAINT, NotificationType.DELIVERY


@pytest.fixture
def world() -> IdentityWorld:
    world = make_identity_world()
    world.verified_domain("example.com")
    return world


def test_a_new_identity_forwards_feedback_and_has_no_topics(world: IdentityWorld) -> None:
    attributes = world.service.notification_attributes(A, ["example.com", "missing.com"])
    assert set(attributes) == {"example.com"}, "unknown identities are left out"
    found = attributes["example.com"]
    assert found.forwarding_enabled is True and found.topics == {} and found.headers_in == frozenset()


def test_topics_are_set_per_type_and_cleared_by_an_empty_arn(world: IdentityWorld) -> None:
    world.service.set_notification_topic(A, "example.com", BOUNCE, BOUNCES)
    world.service.set_notification_topic(A, "example.com", DELIVERY, DELIVERIES)
    assert world.service.notification_attributes(A, ["example.com"])["example.com"].topics == {
        BOUNCE: BOUNCES,
        DELIVERY: DELIVERIES,
    }
    world.service.set_notification_topic(A, "example.com", DELIVERY, None)
    world.service.set_notification_topic(A, "example.com", BOUNCE, "  ")
    assert world.service.notification_attributes(A, ["example.com"])["example.com"].topics == {}


@pytest.mark.parametrize(
    "arn",
    [
        "bounces",
        "arn:aws:sqs:us-east-1:123456789012:bounces",
        "arn:aws:sns:us-east-1:12345:bounces",
        "arn:aws:sns:us-east-1:123456789012:bounces.fifo",
        "arn:aws:sns:us-east-1:123456789012:",
        "arn:aws:sns:us-east-1:123456789012:has space",
    ],
)
def test_malformed_topic_arns_are_refused_before_any_lookup(world: IdentityWorld, arn: str) -> None:
    with pytest.raises(InvalidParameterValue, match="Invalid SNS topic ARN"):
        world.service.set_notification_topic(A, "example.com", BOUNCE, arn)
    assert world.topics.asked == []


def test_a_topic_in_another_region_is_refused(world: IdentityWorld) -> None:
    with pytest.raises(InvalidParameterValue, match="not in region us-east-1"):
        world.service.set_notification_topic(A, "example.com", BOUNCE, "arn:aws:sns:eu-west-1:123456789012:b")


def test_a_topic_that_does_not_exist_is_refused(world: IdentityWorld) -> None:
    missing = "arn:aws:sns:us-east-1:123456789012:nobody-made-this"
    with pytest.raises(InvalidParameterValue, match="does not exist"):
        world.service.set_notification_topic(A, "example.com", BOUNCE, missing)
    assert world.topics.asked == [missing]
    assert world.service.notification_attributes(A, ["example.com"])["example.com"].topics == {}


def test_an_unknown_identity_is_not_found_for_every_setting(world: IdentityWorld) -> None:
    with pytest.raises(NotFound):
        world.service.set_notification_topic(A, "missing.com", BOUNCE, BOUNCES)
    with pytest.raises(NotFound):
        world.service.set_headers_in_notifications(A, "missing.com", BOUNCE, True)
    with pytest.raises(NotFound):
        world.service.set_feedback_forwarding(A, "missing.com", True, require_topics=True)
    with pytest.raises(NotFound):
        world.service.set_notification_topic("222222222222", "example.com", BOUNCE, BOUNCES)


def test_forwarding_is_disabled_only_with_bounce_and_complaint_topics(world: IdentityWorld) -> None:
    with pytest.raises(InvalidParameterValue, match="both Bounce and Complaint"):
        world.service.set_feedback_forwarding(A, "example.com", False, require_topics=True)
    world.service.set_notification_topic(A, "example.com", BOUNCE, BOUNCES)
    world.service.set_notification_topic(A, "example.com", DELIVERY, DELIVERIES)
    with pytest.raises(InvalidParameterValue):
        world.service.set_feedback_forwarding(A, "example.com", False, require_topics=True)
    world.service.set_notification_topic(A, "example.com", COMPLAINT, COMPLAINTS)
    world.service.set_feedback_forwarding(A, "example.com", False, require_topics=True)
    assert (
        world.service.notification_attributes(A, ["example.com"])["example.com"].forwarding_enabled is False
    )


def test_the_v2_switch_disables_forwarding_without_topics(world: IdentityWorld) -> None:
    world.service.set_feedback_forwarding(A, "example.com", False)
    assert (
        world.service.notification_attributes(A, ["example.com"])["example.com"].forwarding_enabled is False
    )


def test_bounce_and_complaint_topics_stay_while_forwarding_is_disabled(world: IdentityWorld) -> None:
    world.service.set_notification_topic(A, "example.com", BOUNCE, BOUNCES)
    world.service.set_notification_topic(A, "example.com", COMPLAINT, COMPLAINTS)
    world.service.set_notification_topic(A, "example.com", DELIVERY, DELIVERIES)
    world.service.set_feedback_forwarding(A, "example.com", False, require_topics=True)
    with pytest.raises(InvalidParameterValue, match="feedback forwarding is disabled"):
        world.service.set_notification_topic(A, "example.com", COMPLAINT, None)
    world.service.set_notification_topic(A, "example.com", DELIVERY, None)  # not feedback: fine
    world.service.set_notification_topic(A, "example.com", BOUNCE, DELIVERIES)  # replaced: fine
    world.service.set_feedback_forwarding(A, "example.com", True, require_topics=True)
    world.service.set_notification_topic(A, "example.com", COMPLAINT, None)
    assert world.service.notification_attributes(A, ["example.com"])["example.com"].topics == {
        BOUNCE: DELIVERIES
    }


def test_headers_in_notifications_are_switched_per_type(world: IdentityWorld) -> None:
    world.service.set_headers_in_notifications(A, "example.com", BOUNCE, True)
    world.service.set_headers_in_notifications(A, "example.com", DELIVERY, True)
    world.service.set_headers_in_notifications(A, "example.com", DELIVERY, False)
    assert world.service.notification_attributes(A, ["example.com"])["example.com"].headers_in == {BOUNCE}


def test_an_unavailable_topic_is_dropped_and_forwarding_comes_back(world: IdentityWorld) -> None:
    world.service.set_notification_topic(A, "example.com", BOUNCE, BOUNCES)
    world.service.set_notification_topic(A, "example.com", COMPLAINT, COMPLAINTS)
    world.service.set_feedback_forwarding(A, "example.com", False, require_topics=True)
    world.service.drop_unavailable_topic(A, "example.com", COMPLAINT, "arn:aws:sns:us-east-1:1:other")
    assert (
        world.service.notification_attributes(A, ["example.com"])["example.com"].forwarding_enabled is False
    )
    world.service.drop_unavailable_topic(A, "example.com", COMPLAINT, COMPLAINTS)
    after = world.service.notification_attributes(A, ["example.com"])["example.com"]
    assert after.topics == {BOUNCE: BOUNCES} and after.forwarding_enabled is True
    world.service.drop_unavailable_topic(A, "gone.com", BOUNCE, BOUNCES)  # no identity: nothing to do


def test_notification_settings_survive_the_item_format(world: IdentityWorld) -> None:
    world.service.set_notification_topic(A, "example.com", BOUNCE, BOUNCES)
    world.service.set_notification_topic(A, "example.com", DELIVERY, DELIVERIES)
    world.service.set_headers_in_notifications(A, "example.com", DELIVERY, True)
    identity = world.repo.items[(A, "example.com")]
    item = to_item(identity)
    assert item["notification_topics"] == {"M": {"Bounce": {"S": BOUNCES}, "Delivery": {"S": DELIVERIES}}}
    assert item["headers_in_notifications"] == {"SS": ["Delivery"]}
    assert from_item(item) == identity


def test_items_stored_before_notifications_existed_still_load(world: IdentityWorld) -> None:
    identity = world.repo.items[(A, "example.com")]
    item = to_item(identity)
    assert "notification_topics" not in item and "headers_in_notifications" not in item
    loaded = from_item(item)
    assert loaded.notifications.topics == {} and loaded.notifications.headers_in == set()
