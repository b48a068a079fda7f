"""The examples of SES's developer guide ("Examples of event data that Amazon SES publishes to
Amazon SNS" and "Amazon SNS notification examples for Amazon SES"), as the inputs that produce
them and the records themselves, for field-by-field comparison."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sesame.domain.sending.events import MessageHeaders
from sesame.domain.sending.model import QueuedMessage

EXAMPLE_MESSAGE_ID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"


def epoch(iso: str) -> float:
    """``2017-08-05T00:41:02.669Z`` -> seconds since the epoch."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def event_message(created: str, *, source: str, **overrides: Any) -> QueuedMessage:
    """The message behind the event examples: account 123456789012, configuration set ConfigSet,
    sent by ses_user from 192.0.2.0 as sender@example.com."""
    fields: dict[str, Any] = {
        "message_id": EXAMPLE_MESSAGE_ID,
        "account_id": "123456789012",
        "source": source,
        "mail_from": "bounces@example.com",
        "destinations": ("recipient@example.com",),
        "sending_identity": "sender@example.com",
        "created_at": epoch(created),
        "configuration_set": "ConfigSet",
        "source_ip": "192.0.2.0",
        "caller_identity": "ses_user",
    }
    fields.update(overrides)
    return QueuedMessage(**fields)


def headers(pairs: list[tuple[str, str]], common: dict[str, Any]) -> MessageHeaders:
    return MessageHeaders(headers=[{"name": n, "value": v} for n, v in pairs], common_headers=common)


EVENT_COMMON = {
    "from": ["Sender Name <sender@example.com>"],
    "to": ["recipient@example.com"],
    "messageId": EXAMPLE_MESSAGE_ID,
    "subject": "Message sent from Amazon SES",
}

EVENT_TAGS = {
    "ses:configuration-set": ["ConfigSet"],
    "ses:source-ip": ["192.0.2.0"],
    "ses:from-domain": ["example.com"],
    "ses:caller-identity": ["ses_user"],
}

BOUNCE_EVENT_HEADERS = [
    ("From", "Sender Name <sender@example.com>"),
    ("To", "recipient@example.com"),
    ("Subject", "Message sent from Amazon SES"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/alternative; boundary="----=_Part_7307378_1629847660.1516840721503"'),
]

BOUNCE_EVENT: dict[str, Any] = {
    "eventType": "Bounce",
    "bounce": {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [
            {
                "emailAddress": "recipient@example.com",
                "action": "failed",
                "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown",
            }
        ],
        "timestamp": "2017-08-05T00:41:02.669Z",
        "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
        "reportingMTA": "dsn; mta.example.com",
    },
    "mail": {
        "timestamp": "2017-08-05T00:40:02.012Z",
        "source": "Sender Name <sender@example.com>",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
        "sendingAccountId": "123456789012",
        "messageId": EXAMPLE_MESSAGE_ID,
        "destination": ["recipient@example.com"],
        "headersTruncated": False,
        "headers": [{"name": n, "value": v} for n, v in BOUNCE_EVENT_HEADERS],
        "commonHeaders": EVENT_COMMON,
        "tags": EVENT_TAGS,
    },
}

COMPLAINT_EVENT: dict[str, Any] = {
    "eventType": "Complaint",
    "complaint": {
        "complainedRecipients": [{"emailAddress": "recipient@example.com"}],
        "timestamp": "2017-08-05T00:41:02.669Z",
        "feedbackId": "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/60.0.3112.90 Safari/537.36",
        "complaintFeedbackType": "abuse",
        "arrivalDate": "2017-08-05T00:41:02.669Z",
    },
    "mail": {
        "timestamp": "2017-08-05T00:40:01.123Z",
        "source": "Sender Name <sender@example.com>",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
        "sendingAccountId": "123456789012",
        "messageId": EXAMPLE_MESSAGE_ID,
        "destination": ["recipient@example.com"],
        "headersTruncated": False,
        "tags": EVENT_TAGS,
    },
}

PLAIN_COMMON = {
    "from": ["sender@example.com"],
    "to": ["recipient@example.com"],
    "messageId": EXAMPLE_MESSAGE_ID,
    "subject": "Message sent from Amazon SES",
}

DELIVERY_EVENT_HEADERS = [
    ("From", "sender@example.com"),
    ("To", "recipient@example.com"),
    ("Subject", "Message sent from Amazon SES"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/html; charset=UTF-8"),
    ("Content-Transfer-Encoding", "7bit"),
]

CUSTOM_TAGS = {"myCustomTag1": ["myCustomTagValue1"], "myCustomTag2": ["myCustomTagValue2"]}

DELIVERY_EVENT: dict[str, Any] = {
    "eventType": "Delivery",
    "mail": {
        "timestamp": "2016-10-19T23:20:52.240Z",
        "source": "sender@example.com",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
        "sendingAccountId": "123456789012",
        "messageId": EXAMPLE_MESSAGE_ID,
        "destination": ["recipient@example.com"],
        "headersTruncated": False,
        "headers": [{"name": n, "value": v} for n, v in DELIVERY_EVENT_HEADERS],
        "commonHeaders": PLAIN_COMMON,
        # The guide's example also shows ses:outgoing-ip, the address the message left from.
        "tags": {**EVENT_TAGS, **CUSTOM_TAGS},
    },
    "delivery": {
        "timestamp": "2016-10-19T23:21:04.133Z",
        "processingTimeMillis": 11893,
        "recipients": ["recipient@example.com"],
        "smtpResponse": "250 2.6.0 Message received",
        "reportingMTA": "mta.example.com",
    },
}

SEND_EVENT_HEADERS = [
    ("From", "sender@example.com"),
    ("To", "recipient@example.com"),
    ("Subject", "Message sent from Amazon SES"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed;  boundary="----=_Part_0_716996660.1476421336341"'),
    ("X-SES-MESSAGE-TAGS", "myCustomTag1=myCustomTagValue1, myCustomTag2=myCustomTagValue2"),
]

SEND_EVENT: dict[str, Any] = {
    "eventType": "Send",
    "mail": {
        "timestamp": "2016-10-14T05:02:16.645Z",
        "source": "sender@example.com",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
        "sendingAccountId": "123456789012",
        "messageId": EXAMPLE_MESSAGE_ID,
        "destination": ["recipient@example.com"],
        "headersTruncated": False,
        "headers": [{"name": n, "value": v} for n, v in SEND_EVENT_HEADERS],
        "commonHeaders": PLAIN_COMMON,
        "tags": {**EVENT_TAGS, **CUSTOM_TAGS},
    },
    "send": {},
}

REJECT_EVENT_HEADERS = [
    ("From", "sender@example.com"),
    ("To", "recipient@example.com"),
    ("Subject", "Message sent from Amazon SES"),
    ("MIME-Version", "1.0"),
    ("Content-Type", 'multipart/mixed; boundary="qMm9M+Fa2AknHoGS"'),
    ("X-SES-MESSAGE-TAGS", "myCustomTag1=myCustomTagValue1, myCustomTag2=myCustomTagValue2"),
]

REJECT_EVENT: dict[str, Any] = {
    "eventType": "Reject",
    "mail": {
        "timestamp": "2016-10-14T17:38:15.211Z",
        "source": "sender@example.com",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
        "sendingAccountId": "123456789012",
        "messageId": EXAMPLE_MESSAGE_ID,
        "destination": ["sender@example.com"],
        "headersTruncated": False,
        "headers": [{"name": n, "value": v} for n, v in REJECT_EVENT_HEADERS],
        "commonHeaders": PLAIN_COMMON,
        "tags": {**EVENT_TAGS, **CUSTOM_TAGS},
    },
    "reject": {"reason": "Bad content"},
}

DELIVERY_DELAY_EVENT: dict[str, Any] = {
    "eventType": "DeliveryDelay",
    "mail": {
        "timestamp": "2020-06-16T00:15:40.641Z",
        "source": "sender@example.com",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
        "sendingAccountId": "123456789012",
        "messageId": EXAMPLE_MESSAGE_ID,
        "destination": ["recipient@example.com"],
        "headersTruncated": False,
        "tags": {"ses:configuration-set": ["ConfigSet"]},
    },
    "deliveryDelay": {
        "timestamp": "2020-06-16T00:25:40.095Z",
        "delayType": "TransientCommunicationFailure",
        "expirationTime": "2020-06-16T00:25:40.914Z",
        "delayedRecipients": [
            {
                "emailAddress": "recipient@example.com",
                "status": "4.4.1",
                "diagnosticCode": "smtp; 421 4.4.1 Unable to connect to remote host",
            }
        ],
    },
}

# --- notifications -----------------------------------------------------------------------------------

NOTIFICATION_HEADERS = [
    ("From", '"John Doe" <john@example.com>'),
    (
        "To",
        '"Jane Doe" <jane@example.com>, "Mary Doe" <mary@example.com>, "Richard Doe" <richard@example.com>',
    ),
    ("Message-ID", "custom-message-ID"),
    ("Subject", "Hello"),
    ("Content-Type", 'text/plain; charset="UTF-8"'),
    ("Content-Transfer-Encoding", "base64"),
    ("Date", "Wed, 27 Jan 2016 14:05:45 +0000"),
]

NOTIFICATION_COMMON = {
    "from": ["John Doe <john@example.com>"],
    "date": "Wed, 27 Jan 2016 14:05:45 +0000",
    "to": ["Jane Doe <jane@example.com>, Mary Doe <mary@example.com>, Richard Doe <richard@example.com>"],
    "messageId": "custom-message-ID",
    "subject": "Hello",
}


def notification_message(message_id: str, destinations: tuple[str, ...]) -> QueuedMessage:
    """The message behind the notification examples: john@example.com sending through the
    verified domain example.com of account 123456789012, from 127.0.3.0."""
    return QueuedMessage(
        message_id=message_id,
        account_id="123456789012",
        source="john@example.com",
        mail_from="bounces@example.com",
        destinations=destinations,
        sending_identity="example.com",
        created_at=epoch("2016-01-27T14:59:38.237Z"),
        source_arn="arn:aws:ses:us-east-1:888888888888:identity/example.com",
        source_ip="127.0.3.0",
    )


def notification_mail(message_id: str, destinations: list[str]) -> dict[str, Any]:
    return {
        "timestamp": "2016-01-27T14:59:38.237Z",
        "messageId": message_id,
        "source": "john@example.com",
        "sourceArn": "arn:aws:ses:us-east-1:888888888888:identity/example.com",
        "sourceIp": "127.0.3.0",
        "sendingAccountId": "123456789012",
        "destination": destinations,
        "headersTruncated": False,
        "headers": [{"name": n, "value": v} for n, v in NOTIFICATION_HEADERS],
        "commonHeaders": NOTIFICATION_COMMON,
    }


THREE = ["jane@example.com", "mary@example.com", "richard@example.com"]

BOUNCE_NOTIFICATION_WITH_DSN: dict[str, Any] = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent",
        # The guide's example spells it "dns; ": the field is the DSN's Reporting-MTA, "dsn; "
        # in its event example and in what SES sends.
        "reportingMTA": "dsn; email.example.com",
        "bouncedRecipients": [
            {
                "emailAddress": "jane@example.com",
                "status": "5.1.1",
                "action": "failed",
                "diagnosticCode": "smtp; 550 5.1.1 <jane@example.com>... User",
            }
        ],
        "bounceSubType": "General",
        "timestamp": "2016-01-27T14:59:38.237Z",
        "feedbackId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000",
        "remoteMtaIp": "127.0.2.0",
    },
    "mail": notification_mail("00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000", THREE),
}

COMPLAINT_NOTIFICATION_WITH_REPORT: dict[str, Any] = {
    "notificationType": "Complaint",
    "complaint": {
        "userAgent": "AnyCompany Feedback Loop (V0.01)",
        "complainedRecipients": [{"emailAddress": "richard@example.com"}],
        "complaintFeedbackType": "abuse",
        "arrivalDate": "2016-01-27T14:59:38.237Z",
        "timestamp": "2016-01-27T14:59:38.237Z",
        "feedbackId": "000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000",
    },
    "mail": notification_mail("000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000", THREE),
}

DELIVERY_HEADERS = [
    ("From", '"John Doe" <john@example.com>'),
    ("To", '"Jane Doe" <jane@example.com>'),
    ("Message-ID", "custom-message-ID"),
    ("Subject", "Hello"),
    ("Content-Type", 'text/plain; charset="UTF-8"'),
    ("Content-Transfer-Encoding", "base64"),
    ("Date", "Wed, 27 Jan 2016 14:58:45 +0000"),
]

DELIVERY_COMMON = {
    "from": ["John Doe <john@example.com>"],
    "date": "Wed, 27 Jan 2016 14:58:45 +0000",
    "to": ["Jane Doe <jane@example.com>"],
    "messageId": "custom-message-ID",
    "subject": "Hello",
}

DELIVERY_NOTIFICATION: dict[str, Any] = {
    "notificationType": "Delivery",
    "mail": {
        **notification_mail(
            "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000", ["jane@example.com"]
        ),
        "headers": [{"name": n, "value": v} for n, v in DELIVERY_HEADERS],
        "commonHeaders": DELIVERY_COMMON,
    },
    "delivery": {
        "timestamp": "2016-01-27T14:59:38.237Z",
        "recipients": ["jane@example.com"],
        "processingTimeMillis": 546,
        "reportingMTA": "a8-70.smtp-out.amazonses.com",
        "smtpResponse": "250 ok:  Message 64111812 accepted",
        "remoteMtaIp": "127.0.2.0",
    },
}
