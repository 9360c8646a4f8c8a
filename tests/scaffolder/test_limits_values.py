"""The value limit (``Limits.file_bytes``, 20 MB): no operator, filter, call, block or single expression builds a
value larger than it, a step's and a template's output are no larger when they are stored, and each refusal names
the limit in the same words."""

import pytest

from portal.models.runs import EventType, RunStep
from scaffolder import services
from scaffolder.actions.registry import Action, object_schema, register, unregister
from scaffolder.templating import Limits, TemplateError, render_string
from scaffolder.templating.limits import applying
from scaffolder.templating.sandbox import render_value_sandboxed
from tests.conftest import make_user
from tests.scaffolder.engine_support import everything_stored, install_people, install_template, template_doc, wait_for

pytestmark = pytest.mark.usefixtures("scaffolder_dirs")

MIB = 1024 * 1024
TOO_LARGE = "the expression builds a value larger than 20 MB"
SMALL = Limits(file_bytes=100)
SMALL_TOO_LARGE = "the expression builds a value larger than 100 bytes"
HALVES = {
    "parameters": {
        "a": "a" * 60,
        "b": "b" * 60,
        "pair": ["a" * 60, "b" * 60],
        "pairs": [["a" * 60], ["b" * 60]],
        "angles": "<" * 30,
        "accents": "é" * 30,
        "lines": "\n" * 20,
        "eszett": "ß" * 60,
    }
}
SAY_HELLO = {"id": "hello", "name": "Say hello", "action": "debug:log", "input": {"message": "hello"}}


# --- the operations, at the real limit, in the sandbox process -------------------------------------------------------


def test_two_15_mb_halves_joined_with_a_tilde_are_refused():
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed("${{ (('x'*15000000) ~ ('y'*15000000))|length }}", {})
    assert str(caught.value) == TOO_LARGE


def test_a_list_of_95_one_megabyte_strings_is_refused_before_it_is_dumped():
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed("${{ (['x'*1000000]*95)|dump }}", {})
    assert str(caught.value) == TOO_LARGE


def test_a_dump_that_grows_past_the_limit_while_encoding_is_refused():
    with pytest.raises(TemplateError) as caught:
        render_string("${{ ('\"' * 15000000) | dump | length }}", {})  # each quote becomes \"
    assert str(caught.value) == TOO_LARGE


def test_a_single_expression_giving_two_15_mb_halves_is_refused():
    context = {"parameters": {"a": "x" * 15_000_000, "b": "y" * 15_000_000}}
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed({"both": "${{ [parameters.a, parameters.b] }}"}, context)
    assert str(caught.value) == TOO_LARGE
    assert render_value_sandboxed({"one": "${{ parameters.a | length }}"}, context) == {"one": 15_000_000}


def test_a_value_of_exactly_the_limit_is_allowed_and_one_character_more_is_not():
    with applying(Limits(file_bytes=10)):
        assert render_string("${{ 'abcde' ~ 'fghij' }}", {}) == "abcdefghij"
        assert render_string("${{ ['abcd'] * 2 }}", {}) == ["abcd", "abcd"]  # twice (4 characters + 1 item)
        with pytest.raises(TemplateError) as caught:
            render_string("${{ 'abcde' ~ 'fghijk' }}", {})
    assert str(caught.value) == "the expression builds a value larger than 10 bytes"


def test_a_memory_bomb_within_the_value_limit_still_hits_the_memory_limit():
    strings = ", ".join(f"'{letter}' * 15000000" for letter in "abcdefghijklmnopqrst")  # 20 distinct values
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed(f"${{{{ [{strings}] | length }}}}", {}, Limits(memory_bytes=256 * MIB))
    assert str(caught.value) == "the template needs more than 256 MB of memory to render"


# --- every way to build a value, at a small limit ------------------------------------------------------------------

BUILDERS = [
    "${{ parameters.a ~ parameters.b }}",
    "${{ [parameters.a] * 2 }}",
    "${{ [parameters.a] + [parameters.b] }}",
    "${{ [parameters.a, parameters.b] }}",
    "${{ {'a': parameters.a, 'b': parameters.b} }}",
    "${{ parameters.pair }}",
    "${{ parameters.pair | select }}",
    "${{ parameters.pair | dump }}",
    "${{ parameters.pair | string }}",
    "${{ parameters.pair | select | list | length }}",
    "${{ parameters.pairs | sum(start=[]) }}",
    "${{ parameters.a | list }}",
    "${{ parameters.angles | e }}",
    "${{ parameters.accents | urlencode }}",
    "${{ parameters.lines | indent(10) }}",
    "${{ parameters.eszett | upper }}",
    "${{ parameters.eszett.upper() }}",
    "{% set both %}${{ parameters.a }}${{ parameters.b }}{% endset %}${{ both | length }}",
    "{% macro both() %}${{ parameters.a }}${{ parameters.b }}{% endmacro %}${{ both() | length }}",
]


@pytest.mark.parametrize("template", BUILDERS)
def test_no_operation_builds_a_value_larger_than_the_limit(template):
    with applying(SMALL), pytest.raises(TemplateError) as caught:
        render_string(template, HALVES)
    assert str(caught.value) == SMALL_TOO_LARGE


STILL_REFUSED = [
    ("${{ parameters.pair | join }}", SMALL_TOO_LARGE),
    ("${{ parameters.a + parameters.b }}", SMALL_TOO_LARGE),
    ("${{ parameters.a * 2 }}", SMALL_TOO_LARGE),
    ("${{ parameters.a | replace('a', 'aa') }}", SMALL_TOO_LARGE),
    ("${{ '%s' % parameters.a }}",
     "string formatting with % is not allowed in templates; use ~ to join strings"),
    ("${{ '{}'.format(parameters.a) }}", "access to the attribute 'format' is not allowed in templates"),
    ("${{ parameters.a | format(parameters.b) }}", "syntax error on line 1: No filter named 'format'."),
    ("${{ parameters.pair | tojson }}", "syntax error on line 1: No filter named 'tojson'."),
]  # fmt: skip


@pytest.mark.parametrize(("template", "message"), STILL_REFUSED)
def test_join_repetition_replace_and_formatting_stay_refused(template, message):
    with applying(SMALL), pytest.raises(TemplateError) as caught:
        render_string(template, HALVES)
    assert str(caught.value) == message


WITHIN = [
    ("${{ 'a' ~ 'b' ~ 1 }}", "ab1"),
    ("${{ [1, 2] ~ '' }}", "[1, 2]"),
    ("${{ ['a'] * 2 + ['b'] }}", ["a", "a", "b"]),
    ("${{ {'a': [1, 'b']} | dump }}", '{"a":[1,"b"]}'),
    ("${{ {'a': 1} | dump(2) }}", '{\n  "a": 1\n}'),
    ("${{ ['a', 'b'] | join('-') }}", "a-b"),
    ("${{ 'a<b' | e }}", "a&lt;b"),
    ("${{ 'a b/é' | urlencode }}", "a%20b/%C3%A9"),
    ("${{ {'a': 'b c'} | urlencode }}", "a=b+c"),
    ("${{ 'a\nb' | indent(2) }}", "a\n  b"),
    ("${{ [['a'], ['b']] | sum(start=[]) }}", ["a", "b"]),
    ("${{ [1, 2] | sum }}", 3),
    ("${{ 'ab' | list }}", ["a", "b"]),
    ("${{ [1, 2] | string }}", "[1, 2]"),
    ("${{ 'ß'.upper() }}", "SS"),
    ("{% for key, value in {'a': 1} | dictsort %}${{ key }}=${{ value }}{% endfor %}", "a=1"),
    ("{% set both %}${{ 'a' }}${{ 'b' }}{% endset %}${{ both }}", "ab"),
    ("before ${{ ['a', 'b'] }} after", "before a,b after"),
]


@pytest.mark.parametrize(("template", "expected"), WITHIN)
def test_values_within_the_limit_render_as_before(template, expected):
    with applying(SMALL):
        assert render_string(template, {}) == expected


# --- a task's outputs, through the worker ----------------------------------------------------------------------------


@pytest.fixture
def dana(transactional_db, tmp_path):
    install_people(tmp_path / "people")
    return make_user("dev@example.com")


@pytest.fixture
def big_output_action():
    """``tests:big-output``: gives an output of 20 MB and one character, in one string."""
    schema = object_schema({})
    register(Action("tests:big-output", "Gives a large output.", schema, schema, lambda ctx: {"x": "x" * (20 * MIB)}))
    yield
    unregister("tests:big-output")


def test_the_dry_run_of_a_95_mb_dump_fails_and_stores_nothing_large(celery_worker, dana, tmp_path):
    output = {"text": [{"title": "Dump", "content": "${{ (['x'*1000000]*95)|dump }}"}]}
    entity = install_template(tmp_path / "tpl", template_doc("dump", [SAY_HELLO], output=output))

    task = wait_for(services.create_task(dana, entity, {}, dry_run=True))

    assert task.status == "failed"
    assert task.error == "The template's output could not be rendered: the expression builds a value larger than 20 MB"
    assert task.output == {"directoryContents": []}
    completion = task.events.get(type=EventType.COMPLETION)
    assert completion.body["error"] == {"name": "Error", "message": task.error}
    assert len(everything_stored(task)) < 100_000


def test_a_template_output_larger_than_the_limit_in_all_fails_the_task(celery_worker, dana, tmp_path):
    half = "${{ 'x' * 11000000 }}"
    output = {"text": [{"title": "One", "content": half}, {"title": "Two", "content": half}]}
    entity = install_template(tmp_path / "tpl", template_doc("halves", [SAY_HELLO], output=output))

    task = wait_for(services.create_task(dana, entity, {}, dry_run=True))

    assert (task.status, task.error) == (
        "failed",
        "The template's output could not be rendered: the rendered output exceeds 20 MB",
    )
    assert len(everything_stored(task)) < 100_000


def test_a_step_output_larger_than_the_limit_fails_the_step_and_is_not_stored(
    celery_worker, dana, tmp_path, big_output_action
):
    step = {"id": "big", "name": "Give a lot", "action": "tests:big-output"}
    entity = install_template(tmp_path / "tpl", template_doc("big-output", [step]))

    task = wait_for(services.create_task(dana, entity, {}))

    assert (task.status, task.error) == ("failed", "Step Give a lot failed: the step's output is larger than 20 MB")
    assert RunStep.objects.values_list("status", "output", "error").get(run_id=task.pk) == (
        "failed",
        {},
        "the step's output is larger than 20 MB",
    )
    assert len(everything_stored(task)) < 100_000
