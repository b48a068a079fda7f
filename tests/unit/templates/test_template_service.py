"""The template service: SES's limits and errors, paging, and TestRender's answers."""

from __future__ import annotations

import email

import pytest

from sesame.domain.errors import (
    AlreadyExists,
    InvalidNextToken,
    InvalidParameterValue,
    InvalidRenderingParameter,
    InvalidTemplate,
    LimitExceeded,
    MissingRenderingAttribute,
    TemplateDoesNotExist,
)
from sesame.domain.template_rendering import TemplateContent
from sesame.domain.templates import MAX_TEMPLATE_BYTES, TemplateService, template_name_from_arn
from tests.unit.templates.fakes import MemoryStore

ACCOUNT = "111122223333"
CONTENT = TemplateContent(subject="Hi {{name}}", text="Dear {{name}}", html="<p>{{name}}</p>")


@pytest.fixture
def service() -> TemplateService:
    return TemplateService(MemoryStore(), max_templates=3, clock=lambda: 1_700_000_000.0)


def test_a_created_template_reads_back_with_its_parts(service: TemplateService) -> None:
    service.create(ACCOUNT, "Welcome_1-a", CONTENT, [("team", "growth")])
    template = service.get(ACCOUNT, "Welcome_1-a")
    assert template.content == CONTENT and template.tags == (("team", "growth"),)
    assert template.created_at == 1_700_000_000.0


@pytest.mark.parametrize("name", ["", "has space", "dot.ted", "x" * 65, "ünïcode"])
def test_names_outside_letters_digits_underscore_hyphen_or_64_characters_are_refused(
    service: TemplateService, name: str
) -> None:
    with pytest.raises(InvalidParameterValue):
        service.create(ACCOUNT, name, CONTENT)


def test_a_name_of_64_characters_is_accepted(service: TemplateService) -> None:
    service.create(ACCOUNT, "x" * 64, CONTENT)


def test_templates_over_500_kb_together_are_refused(service: TemplateService) -> None:
    third = MAX_TEMPLATE_BYTES // 3 + 1
    with pytest.raises(InvalidParameterValue, match="500 KB"):
        service.create(ACCOUNT, "big", TemplateContent("s" * third, "t" * third, "h" * third))
    service.create(ACCOUNT, "fits", TemplateContent("s", "t" * (MAX_TEMPLATE_BYTES - 1)))


def test_broken_handlebars_is_an_invalid_template(service: TemplateService) -> None:
    with pytest.raises(InvalidTemplate):
        service.create(ACCOUNT, "broken", TemplateContent(html="{{#each items}}<li>"))


def test_a_second_create_of_a_name_is_already_exists(service: TemplateService) -> None:
    service.create(ACCOUNT, "dup", CONTENT)
    with pytest.raises(AlreadyExists):
        service.create(ACCOUNT, "dup", CONTENT)


def test_the_account_template_limit_is_limit_exceeded(service: TemplateService) -> None:
    for name in ("a", "b", "c"):
        service.create(ACCOUNT, name, CONTENT)
    with pytest.raises(LimitExceeded):
        service.create(ACCOUNT, "d", CONTENT)
    service.create("444455556666", "d", CONTENT)  # per account


def test_update_replaces_content_and_keeps_creation_time(service: TemplateService) -> None:
    service.create(ACCOUNT, "t", CONTENT)
    service.update(ACCOUNT, "t", TemplateContent(subject="New"))
    assert service.get(ACCOUNT, "t").content == TemplateContent(subject="New")
    with pytest.raises(TemplateDoesNotExist):
        service.update(ACCOUNT, "missing", CONTENT)


def test_missing_templates_are_template_does_not_exist(service: TemplateService) -> None:
    with pytest.raises(TemplateDoesNotExist) as missing:
        service.get(ACCOUNT, "nope")
    assert missing.value.wire_code(1) == "TemplateDoesNotExist"
    assert missing.value.wire_code(2) == "NotFoundException"


def test_delete_of_a_missing_template_fails_only_when_asked_to(service: TemplateService) -> None:
    service.delete(ACCOUNT, "nope", missing_ok=True)
    with pytest.raises(TemplateDoesNotExist):
        service.delete(ACCOUNT, "nope", missing_ok=False)


def test_listing_pages_through_every_template_in_name_order(service: TemplateService) -> None:
    big = TemplateService(MemoryStore(), max_templates=100)
    for index in range(25):
        big.create(ACCOUNT, f"t{index:02d}", CONTENT)
    seen: list[str] = []
    token = None
    while True:
        items, token = big.list_templates(ACCOUNT, next_token=token, page_size=10)
        seen += [item.name for item in items]
        if token is None:
            break
    assert seen == [f"t{index:02d}" for index in range(25)]
    assert len(big.list_templates(ACCOUNT, next_token=None, page_size=1000)[0]) == 25
    assert len(big.list_templates(ACCOUNT, next_token=None, page_size=None)[0]) == 10


def test_a_forged_next_token_is_refused(service: TemplateService) -> None:
    with pytest.raises(InvalidNextToken):
        service.list_templates(ACCOUNT, next_token="not-a-token!", page_size=None)


def test_test_render_answers_the_mime_message(service: TemplateService) -> None:
    service.create(ACCOUNT, "t", CONTENT)
    message = email.message_from_string(service.test_render(ACCOUNT, "t", '{"name": "<Ann>"}'))
    assert message["Subject"] == "Hi <Ann>"
    text, html = (part.get_payload() for part in message.walk() if not part.is_multipart())
    assert text.strip() == "Dear <Ann>" and html.strip() == "<p>&lt;Ann&gt;</p>"


def test_test_render_errors_are_ses_errors(service: TemplateService) -> None:
    service.create(ACCOUNT, "t", CONTENT)
    with pytest.raises(MissingRenderingAttribute, match="Attribute 'name' is not present"):
        service.test_render(ACCOUNT, "t", '{"other": 1}')
    with pytest.raises(InvalidRenderingParameter):
        service.test_render(ACCOUNT, "t", "[1]")
    with pytest.raises(TemplateDoesNotExist):
        service.test_render(ACCOUNT, "nope", "{}")


def test_template_arns_name_templates_of_the_callers_own_account() -> None:
    arn = f"arn:aws:ses:us-east-1:{ACCOUNT}:template/welcome"
    assert template_name_from_arn(arn, account_id=ACCOUNT, region="us-east-1") == "welcome"
    with pytest.raises(TemplateDoesNotExist):
        template_name_from_arn(arn, account_id="444455556666", region="us-east-1")
    with pytest.raises(InvalidParameterValue):
        template_name_from_arn("arn:aws:ses:us-east-1:1:identity/x", account_id="1", region="us-east-1")
