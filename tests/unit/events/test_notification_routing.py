"""Which identity's settings apply to a message's feedback, and what becomes of it: a notification
on a topic (with or without headers), a report by email, or both."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from sesame.domain.identities import NotificationType
from sesame.domain.identity_model import Identity, IdentityType, Status
from sesame.domain.sending.events import Bounce, Complaint, MessageHeaders
from sesame.domain.sending.model import BounceSubType, BounceType, QueuedMessage, RecipientResult, ResultKind
from sesame.domain.sending.notifications import NotificationRouter, Route, feedback_address, route
from tests.unit.events.identity_world import (
    BOUNCES,
    COMPLAINTS,
    DELIVERIES,
    A,
    FakeFeedbackMailer,
    FakeNotificationPublisher,
    IdentityWorld,
    make_identity_world,
)

BOUNCE, COMPLAINT, DELIVERY = NotificationType.BOUNCE, NotificationType.COMPLAINT, NotificationType.DELIVERY
ORIGINAL = b"From: Jane <jane@example.com>\r\nTo: bob@example.net\r\nSubject: Hi\r\n\r\nbody\r\n"
HEADERS = MessageHeaders(
    headers=[{"name": "Subject", "value": "Hi"}], common_headers={"subject": "Hi"}, truncated=False
)


def message(source: str = "Jane <jane@example.com>", **overrides: object) -> QueuedMessage:
    fields: dict[str, object] = {
        "message_id": "0100018bcfe56800-11111111-2222-3333-4444-555555555555-000000",
        "account_id": A,
        "source": source,
        "mail_from": "0100018bcfe56800@feedback.sesame.test",
        "destinations": ("bob@example.net",),
        "sending_identity": "example.com",
        "created_at": 1_700_000_000.0,
    }
    fields.update(overrides)
    return QueuedMessage(**fields)  # type: ignore[arg-type]


def bounced(recipient: str = "bob@example.net") -> Bounce:
    result = RecipientResult(
        recipient, ResultKind.BOUNCED, "550 5.1.1 unknown", reporting_mta="out.sesame.test"
    )
    return Bounce(
        BounceType.PERMANENT, BounceSubType.GENERAL, (result,), at=1_700_000_060.0, feedback_id="fb-1"
    )


def delivered() -> list[RecipientResult]:
    return [RecipientResult("bob@example.net", ResultKind.DELIVERED, "250 ok", processing_ms=42)]


class Setup:
    def __init__(self) -> None:
        self.world: IdentityWorld = make_identity_world()
        self.world.verified_domain("example.com")
        self.publisher = FakeNotificationPublisher()
        self.mailer = FakeFeedbackMailer()
        self.router = NotificationRouter(
            identities=self.world.service,
            publisher=self.publisher,
            mailer=self.mailer,
            region="us-east-1",
            mail_host_name="sesame.test",
        )

    def topic(self, name: str, kind: NotificationType, arn: str) -> None:
        self.world.service.set_notification_topic(A, name, kind, arn)


@pytest.fixture
def setup() -> Setup:
    return Setup()


# --- the decision itself ----------------------------------------------------------------------------


def identity(**notifications: object) -> Identity:
    found = Identity(A, "example.com", IdentityType.DOMAIN, Status.SUCCESS, 0.0, 0.0)
    for kind, topic in notifications.items():
        found.notifications.topics[NotificationType(kind)] = str(topic)
    return found


def test_without_a_topic_feedback_is_forwarded_and_deliveries_go_nowhere() -> None:
    assert route(identity(), BOUNCE) == Route("example.com", None, False, True)
    assert route(identity(), COMPLAINT).forward_by_email is True
    assert route(identity(), DELIVERY) == Route("example.com", None, False, False)


def test_a_topic_is_used_with_headers_only_when_enabled_for_its_type() -> None:
    found = identity(Bounce=BOUNCES, Delivery=DELIVERIES)
    found.notifications.headers_in.add(DELIVERY)
    assert route(found, BOUNCE) == Route("example.com", BOUNCES, False, True)
    assert route(found, DELIVERY) == Route("example.com", DELIVERIES, True, False)


def test_disabled_forwarding_still_forwards_feedback_that_nothing_else_reports() -> None:
    found = identity(Bounce=BOUNCES)
    found.feedback_forwarding = False
    assert route(found, BOUNCE).forward_by_email is False, "the topic reports bounces"
    assert route(found, COMPLAINT).forward_by_email is True, "nothing reports complaints"
    assert route(found, COMPLAINT, event_destination_covers=True).forward_by_email is False


def test_without_a_verified_identity_feedback_is_forwarded() -> None:
    assert route(None, BOUNCE) == Route(None, None, False, True)
    assert route(None, DELIVERY).forward_by_email is False


def test_feedback_goes_to_the_return_path_else_the_source_address() -> None:
    assert feedback_address(message()) == "jane@example.com"
    assert feedback_address(message(), "Bounces <bounces@example.com>") == "bounces@example.com"


# --- the router against identities ------------------------------------------------------------------


def test_the_domains_settings_apply_to_an_address_that_is_not_an_identity(setup: Setup) -> None:
    setup.topic("example.com", BOUNCE, BOUNCES)
    done = setup.router.bounce(message(), bounced(), headers=HEADERS, original_message=ORIGINAL)
    assert done == Route("example.com", BOUNCES, False, True)
    [(topic, notification)] = setup.publisher.published
    assert topic == BOUNCES and notification["notificationType"] == "Bounce"
    assert "headers" not in notification["mail"] and "tags" not in notification["mail"]
    assert notification["bounce"]["bouncedRecipients"][0]["emailAddress"] == "bob@example.net"


def test_a_verified_address_overrides_its_domain_entirely(setup: Setup) -> None:
    setup.topic("example.com", BOUNCE, BOUNCES)
    setup.world.verified_address("jane@example.com")
    done = setup.router.bounce(message(), bounced(), headers=HEADERS, original_message=ORIGINAL)
    assert done == Route("jane@example.com", None, False, True)
    assert setup.publisher.published == [], "the domain's topic does not apply"
    assert len(setup.mailer.sent) == 1


def test_headers_are_included_when_the_identity_asks_for_them(setup: Setup) -> None:
    setup.topic("example.com", COMPLAINT, COMPLAINTS)
    setup.world.service.set_headers_in_notifications(A, "example.com", COMPLAINT, True)
    complaint = Complaint(("bob@example.net",), at=1_700_000_100.0, feedback_id="fb-2", feedback_type="abuse")
    setup.router.complaint(message(), complaint, headers=HEADERS, original_message=ORIGINAL)
    [(topic, notification)] = setup.publisher.published
    assert topic == COMPLAINTS
    assert notification["mail"]["headers"] == HEADERS.headers
    assert notification["mail"]["headersTruncated"] is False


def test_a_forwarded_bounce_is_a_dsn_to_the_feedback_address(setup: Setup) -> None:
    setup.router.bounce(
        message(), bounced(), headers=None, original_message=ORIGINAL, return_path="bounces@example.com"
    )
    [(account, to, raw)] = setup.mailer.sent
    assert (account, to) == (A, "bounces@example.com")
    report = message_from_bytes(raw, policy=policy.default)
    assert report["From"] == "MAILER-DAEMON@sesame.test" and report["To"] == "bounces@example.com"
    assert report.get_param("report-type") == "delivery-status"


def test_a_forwarded_complaint_is_an_abuse_report(setup: Setup) -> None:
    complaint = Complaint(("bob@example.net",), at=1_700_000_100.0, feedback_id="fb-2", feedback_type="abuse")
    setup.router.complaint(message(), complaint, headers=None, original_message=ORIGINAL)
    [(_, to, raw)] = setup.mailer.sent
    report = message_from_bytes(raw, policy=policy.default)
    assert to == "jane@example.com" and report.get_param("report-type") == "feedback-report"


def test_nothing_is_mailed_once_forwarding_is_disabled_with_both_topics(setup: Setup) -> None:
    setup.topic("example.com", BOUNCE, BOUNCES)
    setup.topic("example.com", COMPLAINT, COMPLAINTS)
    setup.world.service.set_feedback_forwarding(A, "example.com", False, require_topics=True)
    setup.router.bounce(message(), bounced(), headers=None, original_message=ORIGINAL)
    assert [topic for topic, _ in setup.publisher.published] == [BOUNCES]
    assert setup.mailer.sent == []


def test_deliveries_are_published_only_to_a_delivery_topic(setup: Setup) -> None:
    assert (
        setup.router.delivery(message(), delivered(), at=1_700_000_001.0, headers=HEADERS).topic_arn is None
    )
    assert setup.publisher.published == []
    setup.topic("example.com", DELIVERY, DELIVERIES)
    setup.router.delivery(message(), delivered(), at=1_700_000_001.0, headers=HEADERS)
    [(topic, notification)] = setup.publisher.published
    assert topic == DELIVERIES and notification["delivery"]["processingTimeMillis"] == 42
    assert setup.mailer.sent == [], "deliveries are never forwarded by email"


def test_a_topic_that_is_gone_is_dropped_and_the_bounce_is_mailed_instead(setup: Setup) -> None:
    setup.topic("example.com", BOUNCE, BOUNCES)
    setup.topic("example.com", COMPLAINT, COMPLAINTS)
    setup.world.service.set_feedback_forwarding(A, "example.com", False, require_topics=True)
    setup.publisher.gone.add(BOUNCES)
    done = setup.router.bounce(message(), bounced(), headers=None, original_message=ORIGINAL)
    assert done == Route("example.com", None, False, True)
    assert len(setup.mailer.sent) == 1
    settings = setup.world.service.notification_attributes(A, ["example.com"])["example.com"]
    assert settings.topics == {COMPLAINT: COMPLAINTS} and settings.forwarding_enabled is True


def test_an_event_destination_stands_in_for_a_missing_topic(setup: Setup) -> None:
    setup.world.service.set_feedback_forwarding(A, "example.com", False)
    setup.router.bounce(
        message(), bounced(), headers=None, original_message=ORIGINAL, event_destination_covers=True
    )
    assert setup.mailer.sent == []
    setup.router.bounce(message(), bounced(), headers=None, original_message=ORIGINAL)
    assert len(setup.mailer.sent) == 1, "SES forwards anyway when nothing else reports the bounce"
