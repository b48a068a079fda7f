"""Constraint checks and their AWS-style messages, on shapes from the real models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sesame.domain import errors
from sesame.protocol.models import operation_model
from sesame.protocol.scalars import ScalarError, format_epoch, parse_text_scalar, parse_timestamp
from sesame.protocol.validate import validate


def message_for(service: str, operation: str, params: dict[str, object]) -> str:
    shape = operation_model(service, operation).input_shape
    with pytest.raises(errors.ValidationError) as raised:
        validate(shape, params)
    return raised.value.message


def test_given_valid_params_when_validated_then_nothing_is_raised() -> None:
    validate(operation_model("sesv2", "CreateEmailIdentity").input_shape, {"EmailIdentity": "example.com"})


def test_given_a_null_list_element_when_validated_then_its_position_is_named() -> None:
    message = message_for("sesv2", "ListSuppressedDestinations", {"Reasons": ["BOUNCE", None]})

    assert message == (
        "1 validation error detected: Value null at 'reasons.2.member' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_given_a_very_long_value_when_reported_then_the_message_cuts_it_short() -> None:
    message = message_for(
        "ses", "PutIdentityPolicy", {"Identity": "i", "PolicyName": "p" * 5000, "Policy": "{}"}
    )

    assert "p" * 256 + "..." in message
    assert len(message) < 600


def test_given_a_list_longer_than_its_maximum_when_validated_then_the_count_is_checked() -> None:
    message = message_for(
        "sesv2", "PutAccountDetails", {
            "MailType": "MARKETING", "WebsiteURL": "https://example.com",
            "AdditionalContactEmailAddresses": [f"a{i}@example.com" for i in range(5)],
        },
    )  # fmt: skip

    assert "at 'additionalContactEmailAddresses'" in message
    assert "Member must have length less than or equal to 4" in message
    assert "a0@example.com" not in message  # the list is marked sensitive


@pytest.mark.parametrize("scheme", [{}, {"DefaultScheme": {}, "SmimeScheme": {}}])
def test_given_a_union_without_exactly_one_member_set_when_validated_then_it_is_rejected(
    scheme: dict[str, object],
) -> None:
    params = {"ConfigurationSetName": "c", "MessageSecurityOptions": {"SigningScheme": scheme}}

    message = message_for("sesv2", "CreateConfigurationSet", params)

    assert "at 'messageSecurityOptions.signingScheme'" in message
    assert "exactly one member set" in message


def test_given_a_union_with_one_member_set_when_validated_then_it_passes() -> None:
    params = {"ConfigurationSetName": "c", "MessageSecurityOptions": {"SigningScheme": {"DefaultScheme": {}}}}

    validate(operation_model("sesv2", "CreateConfigurationSet").input_shape, params)


def test_given_map_values_when_invalid_then_the_path_names_the_key() -> None:
    message = message_for(
        "ses", "SendBulkTemplatedEmail", {
            "Source": "a@example.com", "Template": "t",
            "Destinations": [{"Destination": {}, "ReplacementTags": [{"Name": "n"}]}],
        },
    )  # fmt: skip

    assert "Value null at 'destinations.1.member.replacementTags.1.member.value'" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05.123456Z", datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("2024-01-02T04:04:05+01:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("1704164645", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("1704164645.5", datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)),
        ("Tue, 02 Jan 2024 03:04:05 GMT", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_given_any_timestamp_form_the_sdks_send_when_parsed_then_it_is_the_same_utc_instant(
    text: str, expected: datetime
) -> None:
    assert parse_timestamp(text) == expected


def test_given_sub_second_times_when_written_as_epoch_then_milliseconds_survive() -> None:
    assert format_epoch(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == 1704164645
    assert format_epoch(datetime(2024, 1, 2, 3, 4, 5, 250999, tzinfo=UTC)) == 1704164645.25


@pytest.mark.parametrize(
    ("kind", "text"), [("integer", "1.5"), ("boolean", "yes"), ("blob", "@@"), ("timestamp", "x")]
)
def test_given_text_that_is_not_of_the_type_when_parsed_then_scalar_error_names_the_type(
    kind: str, text: str
) -> None:
    with pytest.raises(ScalarError):
        parse_text_scalar(kind, text)
