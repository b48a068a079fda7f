"""Rendering templates as SES does, and template text that tries to do more than render."""

from __future__ import annotations

import contextlib
import os
import time

import pytest

from sesame.domain.template_rendering import (
    RENDER_STEPS,
    RenderingError,
    TemplateContent,
    TemplateDataError,
    TemplateSyntaxError,
    check_syntax,
    parse_template_data,
    render,
)


def html(source: str, data: dict[str, object]) -> str:
    rendered = render(TemplateContent(html=source), data).html
    assert rendered is not None
    return rendered


def text(source: str, data: dict[str, object]) -> str:
    rendered = render(TemplateContent(text=source), data).text
    assert rendered is not None
    return rendered


def test_variables_and_nested_attributes_are_replaced_in_every_part() -> None:
    content = TemplateContent(subject="Hi {{name}}", text="{{contact.city}}", html="<b>{{contact.city}}</b>")
    rendered = render(content, {"name": "Ann", "contact": {"city": "Bengaluru"}})
    assert (rendered.subject, rendered.text, rendered.html) == ("Hi Ann", "Bengaluru", "<b>Bengaluru</b>")


def test_html_part_escapes_values_and_triple_stash_does_not() -> None:
    assert html("{{v}}|{{{v}}}", {"v": "<a href='x'>&</a>"}) == (
        "&lt;a href&#x3D;&#x27;x&#x27;&gt;&amp;&lt;/a&gt;|<a href='x'>&</a>"
    )


def test_subject_and_text_parts_print_values_as_they_are() -> None:
    rendered = render(TemplateContent(subject="{{v}}", text="{{v}}"), {"v": "Tom & <Jerry>"})
    assert rendered.subject == rendered.text == "Tom & <Jerry>"


def test_if_else_and_unless_choose_on_the_value() -> None:
    source = "{{#if vip}}gold{{else}}plain{{/if}}/{{#unless vip}}upgrade{{/unless}}"
    assert text(source, {"vip": True}) == "gold/"
    assert text(source, {"vip": False}) == "plain/upgrade"


def test_if_on_a_missing_attribute_takes_the_else_branch_without_failing() -> None:
    assert text("{{#if city}}in {{city}}{{else}}somewhere{{/if}}", {}) == "somewhere"


def test_each_gives_this_and_index_and_with_enters_an_object() -> None:
    source = "{{#each items}}{{@index}}:{{this}} {{/each}}{{#with user}}{{first}}{{/with}}"
    assert text(source, {"items": ["a", "b"], "user": {"first": "Ann"}}) == "0:a 1:b Ann"


def test_each_over_objects_reads_their_attributes() -> None:
    source = "{{#each subscription}}<li>{{interest}}</li>{{/each}}"
    data = {"subscription": [{"interest": "Sports"}, {"interest": "Travel"}]}
    assert html(source, data) == "<li>Sports</li><li>Travel</li>"


def test_comments_render_nothing() -> None:
    assert text("a{{! note }}b{{!-- {{x}} --}}c", {}) == "abc"


def test_inline_partials_as_the_ses_guide_writes_them() -> None:
    source = '{{#* inline "greeting"}}Hello {{name}}{{/inline}}{{> greeting}}!'
    assert text(source, {"name": "Ann"}) == "Hello Ann!"


def test_values_print_as_handlebars_prints_them() -> None:
    assert text("{{n}} {{f}} {{t}} {{z}}", {"n": 3, "f": 1.0, "t": False, "z": None}) == "3 1 false "


def test_printing_a_missing_attribute_fails_with_ses_message() -> None:
    with pytest.raises(RenderingError) as failure:
        text("Dear {{name}}, {{favoritecolor}}", {"name": "Jane", "favoritenumber": "10"})
    assert failure.value.missing_attribute
    assert failure.value.message == "Attribute 'favoritecolor' is not present in the rendering data."


def test_a_missing_nested_attribute_names_its_path() -> None:
    with pytest.raises(RenderingError, match=r"Attribute 'contact\.city' is not present"):
        text("{{contact.city}}", {"contact": {}})


def test_template_data_must_be_a_json_object() -> None:
    assert parse_template_data('{"a": 1}') == {"a": 1}
    for bad in ("[1, 2]", '"text"', "{not json", "", None, "[" * 100_000):
        with pytest.raises(TemplateDataError):
            parse_template_data(bad)


def test_broken_syntax_is_reported_per_part() -> None:
    with pytest.raises(TemplateSyntaxError, match="html"):
        check_syntax(TemplateContent(subject="ok", html="{{#if a}}never closed"))
    with pytest.raises(TemplateSyntaxError):
        check_syntax(TemplateContent(text="{{#if a}}" * 200 + "{{/if}}" * 200))


# --- hostile templates: template text is user input ---------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{name.__class__}}",
        "{{name.upper}}",
        "{{name.__class__.__mro__}}",
        "{{this.__init__.__globals__}}",
        "{{items.__len__}}",
        "{{[__class__]}}",
        "{{constructor.constructor}}",
    ],
)
def test_python_attributes_of_values_are_never_reachable(source: str) -> None:
    with pytest.raises(RenderingError) as failure:
        html(source, {"name": "Ann", "items": [1]})
    assert failure.value.missing_attribute


def test_helpers_cannot_reach_python_attributes_either() -> None:
    assert html('{{lookup name "__class__"}}|{{lookup this "__init__"}}', {"name": "Ann"}) == "|"


def test_format_strings_in_data_are_only_text() -> None:
    data = {"f": "{0.__init__.__globals__[os].environ}"}
    assert html("{{f}}", data) == data["f"]
    with pytest.raises(RenderingError):
        html("{{f.format this}}", data)


def test_template_text_never_runs_as_code() -> None:
    marker = f"/tmp/sesame-template-{os.getpid()}"
    attempts = [
        "{{[a') + str(__import__('os').system('touch " + marker + "')) + ('] }}",
        '{{#each (lookup this "__import__")}}x{{/each}}',
        '{{> (lookup . "__import__")}}',
        "{{{{raw}}}} {{__import__('os')}} {{{{/raw}}}}",
        '{{log (lookup this "x")}}',
    ]
    for source in attempts:
        with contextlib.suppress(RenderingError, TemplateSyntaxError):
            html(source, {"a": 1, "x": "y"})
    assert not os.path.exists(marker)


def test_log_helper_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert text("{{log name}}", {"name": "secret"}) == ""
    assert "secret" not in capsys.readouterr().out


def test_nested_loops_over_a_long_list_stop_at_the_step_budget() -> None:
    source = "{{#each a}}{{#each ../a}}{{#each ../../a}}x{{/each}}{{/each}}{{/each}}"
    started = time.monotonic()
    with pytest.raises(RenderingError, match=f"more than {RENDER_STEPS} steps"):
        html(source, {"a": [0] * 50_000})
    assert time.monotonic() - started < 10


def test_nested_loops_over_a_large_object_stop_at_the_step_budget() -> None:
    source = "{{#each o}}{{#each ../o}}{{#each ../../o}}x{{/each}}{{/each}}{{/each}}"
    with pytest.raises(RenderingError, match="steps"):
        html(source, {"o": {str(i): i for i in range(20_000)}})
