"""The ${{ }} expression engine: Backstage semantics on a Jinja2 sandbox."""

from pathlib import Path

import pytest
import yaml

from scaffolder.templating import Limits, TemplateError, evaluate_condition, render_string, render_value
from scaffolder.templating.engine import environment
from scaffolder.templating.limits import applying

CONTEXT = {
    "parameters": {
        "name": "payments",
        "owner": "group:default/team-a",
        "repoUrl": "github.com?owner=acme&repo=payments",
        "tags": ["python", "web"],
        "replicas": 3,
        "enabled": True,
        "disabled": False,
        "items": ["first"],
        "nested": {"level": {"deep": "value"}},
        "cloudProvider": "GCP",
        "empty": "",
    },
    "steps": {"publish": {"output": {"remoteUrl": "https://github.com/acme/payments"}}},
    "user": {"entity": {"metadata": {"name": "dana"}}, "ref": "user:default/dana"},
    "secrets": {"token": "ghp_secret_token_value"},
}
TEMPLATES = Path(__file__).resolve().parents[1] / "data" / "backstage" / "templates"


def test_a_single_expression_keeps_the_native_type():
    assert render_string("${{ parameters.tags }}", CONTEXT) == ["python", "web"]
    assert render_string("${{ parameters.replicas }}", CONTEXT) == 3
    assert render_string("${{ parameters.enabled }}", CONTEXT) is True
    assert render_string("${{ parameters.nested }}", CONTEXT) == {"level": {"deep": "value"}}
    assert render_string("${{ parameters.replicas * 2 }}", CONTEXT) == 6
    assert render_string("${{parameters.name}}", CONTEXT) == "payments"


def test_text_around_an_expression_gives_a_string_printed_as_javascript_would():
    assert render_string("name: ${{ parameters.name }}", CONTEXT) == "name: payments"
    assert render_string("${{ parameters.tags }} ", CONTEXT) == "python,web "
    assert render_string("on=${{ parameters.enabled }} off=${{ parameters.disabled }}", CONTEXT) == "on=true off=false"
    assert render_string("${{ parameters.nested }}!", CONTEXT) == "[object Object]!"
    assert render_string("${{ parameters.name }}${{ parameters.replicas }}", CONTEXT) == "payments3"
    assert render_string("a${{ parameters.missing }}b", CONTEXT) == "ab"


def test_a_string_without_expressions_is_returned_as_it_is():
    assert render_string("plain text", CONTEXT) == "plain text"
    assert render_string("", CONTEXT) == ""


def test_undefined_values_render_empty_and_chain_without_error():
    assert render_string("${{ parameters.missing }}", CONTEXT) is None
    assert render_string("${{ parameters.missing.deeper.still }}", CONTEXT) is None
    assert render_string("[${{ parameters.missing.deeper['x'] }}]", CONTEXT) == "[]"
    assert render_string("${{ parameters.missing | default('fallback') }}", CONTEXT) == "fallback"


def test_steps_user_and_each_are_reachable():
    assert render_string("${{ steps['publish'].output.remoteUrl }}", CONTEXT) == "https://github.com/acme/payments"
    assert render_string("${{ steps.publish.output.remoteUrl }}", CONTEXT) == "https://github.com/acme/payments"
    assert render_string("${{ user.entity.metadata.name }} ${{ user.ref }}", CONTEXT) == "dana user:default/dana"
    each = {**CONTEXT, "each": {"key": "0", "value": "web"}}
    assert render_string("${{ each.key }}:${{ each.value }}", each) == "0:web"


def test_nunjucks_strict_equality_and_null_are_understood():
    assert render_string("${{ parameters.cloudProvider === 'GCP' }}", CONTEXT) is True
    assert render_string("${{ parameters.cloudProvider !== 'GCP' }}", CONTEXT) is False
    assert render_string("${{ parameters.missing == null }}", CONTEXT) is True
    assert render_string("${{ null }}", CONTEXT) is None
    assert render_string("${{ parameters.name == null }}", CONTEXT) is False
    assert render_string("${{ { name: parameters.name, 'x': 1 } }}", CONTEXT) == {"name": "payments", "x": 1}
    assert render_string("${{ parameters.tags[0:1] }}", CONTEXT) == ["python"]


def test_a_mapping_key_wins_over_a_method_of_the_same_name():
    assert render_string("${{ parameters.items }}", CONTEXT) == ["first"]
    assert render_string("${{ parameters.nested.keys() | list }}", CONTEXT) == ["level"]


def test_blocks_use_jinja_default_delimiters_and_trailing_newlines_are_kept():
    template = "{% for tag in parameters.tags %}- ${{ tag }}\n{% endfor %}"
    assert render_string(template, CONTEXT) == "- python\n- web\n"
    assert render_string("{# a comment #}${{ parameters.name }}\n", CONTEXT) == "payments\n"
    assert render_string("{% if parameters.enabled %}yes{% else %}no{% endif %}", CONTEXT) == "yes"


def test_double_braces_without_the_dollar_are_left_alone():
    assert render_string("{{ parameters.name }} ${{ parameters.name }}", CONTEXT) == "{{ parameters.name }} payments"


def test_autoescape_is_off():
    assert render_string("${{ '<b>&</b>' }} x", CONTEXT) == "<b>&</b> x"


def test_the_environment_has_no_globals_and_only_our_filters():
    env = environment()
    assert env.globals == {}
    assert sorted(env.filters) == [
        "abs", "capitalize", "count", "d", "default", "dictsort", "dump", "e", "escape", "first", "float",
        "groupby", "indent", "int", "join", "last", "length", "list", "lower", "max", "min", "parseEntityRef",
        "parseRepoUrl", "pick", "projectSlug", "reject", "rejectattr", "replace", "reverse", "round", "safe",
        "select", "selectattr", "sort", "string", "striptags", "sum", "title", "trim", "truncate", "unique",
        "upper", "urlencode", "wordcount",
    ]  # fmt: skip


def test_common_builtin_filters_behave_as_in_nunjucks():
    assert render_string("${{ parameters.name | upper }}", CONTEXT) == "PAYMENTS"
    assert render_string("${{ 'A-B' | lower | replace('-', '_') }}", CONTEXT) == "a_b"
    assert render_string("${{ parameters.tags | join('/') }}", CONTEXT) == "python/web"
    assert render_string("${{ parameters.tags | length }}", CONTEXT) == 2
    assert render_string("${{ parameters.tags | first }}-${{ parameters.tags | last }}", CONTEXT) == "python-web"
    assert render_string("${{ '  x  ' | trim }}|${{ 'my service' | title }}", CONTEXT) == "x|My Service"
    assert render_string("${{ '42' | int + 1 }}", CONTEXT) == 43
    assert render_string("${{ ['b', 'a', 'b'] | unique | sort }}", CONTEXT) == ["a", "b"]
    assert render_string("${{ parameters.tags | reverse }}", CONTEXT) == ["web", "python"]
    assert render_string("${{ 'ab' | indent(2, true) }}", CONTEXT) == "  ab"


def test_dump_is_json_stringify():
    assert render_string("${{ parameters.name | dump }}", CONTEXT) == '"payments"'
    assert render_string("x: ${{ parameters.tags | dump }}", CONTEXT) == 'x: ["python","web"]'
    indented = '{\n  "level": {\n    "deep": "value"\n  }\n}'
    assert render_string("${{ parameters.nested | dump(2) }}", CONTEXT) == indented
    assert render_string("[${{ parameters.missing | dump }}]", CONTEXT) == "[]"
    assert render_string("${{ 'é' | dump }}", CONTEXT) == '"é"'


def test_backstage_filters_are_available():
    assert render_string("${{ parameters.repoUrl | parseRepoUrl }}", CONTEXT) == {
        "host": "github.com",
        "owner": "acme",
        "repo": "payments",
    }
    assert render_string("${{ parameters.repoUrl | projectSlug }}", CONTEXT) == "acme/payments"
    assert render_string("${{ (parameters.repoUrl | parseRepoUrl).owner }}", CONTEXT) == "acme"
    assert render_string("${{ parameters.owner | parseEntityRef | pick('name') }}", CONTEXT) == "team-a"


def test_render_value_renders_every_string_and_leaves_keys_and_other_values():
    value = {
        "repoUrl": "${{ parameters.repoUrl }}",
        "description": "Service ${{ parameters.name }}",
        "${{ parameters.name }}": 1,
        "replicas": "${{ parameters.replicas }}",
        "list": ["${{ parameters.name }}", 2, None, True, {"deep": "${{ parameters.tags }}"}],
    }
    assert render_value(value, CONTEXT) == {
        "repoUrl": "github.com?owner=acme&repo=payments",
        "description": "Service payments",
        "${{ parameters.name }}": 1,
        "replicas": 3,
        "list": ["payments", 2, None, True, {"deep": ["python", "web"]}],
    }


def test_render_value_drops_keys_that_render_to_nothing_like_backstage():
    value = {"missing": "${{ parameters.missing }}", "blank": "", "keptEmpty": "${{ parameters.empty }}", "x": "y"}
    assert render_value(value, CONTEXT) == {"keptEmpty": "", "x": "y"}
    assert render_value(["${{ parameters.missing }}", "a"], CONTEXT) == [None, "a"]
    assert render_value("${{ parameters.missing }}", CONTEXT) is None
    assert render_value(7, CONTEXT) == 7


def test_evaluate_condition_follows_backstage_truthiness():
    assert evaluate_condition("${{ parameters.enabled }}", CONTEXT) is True
    assert evaluate_condition("${{ parameters.disabled }}", CONTEXT) is False
    assert evaluate_condition("${{ parameters.missing }}", CONTEXT) is False
    assert evaluate_condition("${{ parameters.empty }}", CONTEXT) is False
    assert evaluate_condition("${{ parameters.tags }}", CONTEXT) is True
    assert evaluate_condition("${{ [] }}", CONTEXT) is False
    assert evaluate_condition("${{ 0 }}", CONTEXT) is False
    assert evaluate_condition("${{ {} }}", CONTEXT) is True
    assert evaluate_condition("${{ parameters.cloudProvider === 'AWS' }}", CONTEXT) is False
    assert evaluate_condition("${{ parameters.disabled }} ", CONTEXT) is False  # renders "false "
    assert evaluate_condition("false", CONTEXT) is False
    assert evaluate_condition("FALSE", CONTEXT) is False
    assert evaluate_condition("", CONTEXT) is False
    assert evaluate_condition(None, CONTEXT) is False
    assert evaluate_condition(False, CONTEXT) is False
    assert evaluate_condition(True, CONTEXT) is True
    assert evaluate_condition("yes", CONTEXT) is True


def test_the_conditional_output_demo_template_keeps_the_right_links():
    template = yaml.safe_load((TEMPLATES / "conditional-output-demo" / "template.yaml").read_text())
    links = template["spec"]["output"]["links"]
    context = {"parameters": {"name": "svc", "enableCI": "No", "showDetails": True}}
    kept = [render_value(link, context)["title"] for link in links if evaluate_condition(link.get("if", True), context)]
    assert kept == ["Backstage Homepage"]
    context["parameters"]["enableCI"] = "Yes"
    kept = [render_value(link, context) for link in links if evaluate_condition(link.get("if", True), context)]
    assert [link["title"] for link in kept] == ["Backstage Homepage", "CI Dashboard", "CI Docs"]
    assert kept[1]["url"] == "https://ci.example.com/svc"


def test_a_syntax_error_names_the_line():
    with pytest.raises(TemplateError) as caught:
        render_string("line one\n${{ parameters.name | }}", CONTEXT)
    assert str(caught.value).startswith("syntax error on line 2: ")


def test_an_unknown_filter_is_a_clear_error():
    with pytest.raises(TemplateError) as caught:
        render_string("${{ parameters.name | map }}", CONTEXT)
    assert str(caught.value) == "syntax error on line 1: No filter named 'map'."


def test_calling_an_undefined_value_is_an_error():
    with pytest.raises(TemplateError) as caught:
        render_string("${{ parameters.missing() }}", CONTEXT)
    assert str(caught.value) == "'dict object' has no attribute 'missing'"


def test_a_template_error_carries_no_cause_or_context():
    with pytest.raises(TemplateError) as caught:
        render_string("${{ parameters.name | parseEntityRef }}", CONTEXT)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_value_size_guard_follows_the_active_limits():
    with applying(Limits(file_bytes=10)), pytest.raises(TemplateError) as caught:
        render_string("${{ 'ab' * 6 }}", CONTEXT)
    assert str(caught.value) == "the expression builds a value larger than 10 bytes"
    with applying(Limits(file_bytes=10)):
        assert render_string("${{ 'ab' * 5 }}", CONTEXT) == "ababababab"
