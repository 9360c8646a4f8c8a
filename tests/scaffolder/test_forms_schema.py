"""Reading spec.parameters: pages, when:, conditional fields (RJSF's dependencies/oneOf, if/then/else),
the order of fields, validation messages, and HTML patterns that browsers accept."""

from __future__ import annotations

import pytest

from scaffolder.forms.patterns import html_pattern
from scaffolder.forms.schema import (
    ordered_properties,
    pages_of,
    resolve,
    validate,
    visible_pages,
)

DEPENDENT = {
    "title": "Database",
    "properties": {"hasDb": {"title": "Has a database", "type": "boolean"}, "name": {"type": "string"}},
    "dependencies": {
        "hasDb": {
            "oneOf": [
                {"properties": {"hasDb": {"const": False}}},
                {
                    "properties": {"hasDb": {"const": True}, "dbName": {"title": "Database name", "type": "string"}},
                    "required": ["dbName"],
                },
            ]
        }
    },
}


def test_parameters_as_one_object_or_a_list_of_pages():
    one = pages_of({"spec": {"parameters": {"title": "Only", "properties": {}}}})
    many = pages_of({"spec": {"parameters": [{"title": "A"}, "junk", {"description": "untitled"}]}})

    assert [(page.index, page.title) for page in one] == [(0, "Only")]
    assert [(page.index, page.title, page.description) for page in many] == [(0, "A", ""), (1, "Step 2", "untitled")]
    assert pages_of({"spec": {}}) == []
    assert pages_of({"spec": {"parameters": "nonsense"}}) == []


def test_when_hides_pages_for_other_answers():
    pages = pages_of(
        {
            "spec": {
                "parameters": [
                    {"title": "Cloud"},
                    {"title": "AWS", "when": "${{ parameters.cloud === 'AWS' }}"},
                    {"title": "GCP", "when": "${{ parameters.cloud === 'GCP' }}"},
                    {"title": "Monitoring", "when": "${{ parameters.monitoring }}"},
                ]
            }
        }
    )

    assert [page.title for page in visible_pages(pages, {"cloud": "GCP"})] == ["Cloud", "GCP"]
    assert [page.title for page in visible_pages(pages, {"cloud": "AWS", "monitoring": True})] == [
        "Cloud",
        "AWS",
        "Monitoring",
    ]
    assert [page.title for page in visible_pages(pages, {})] == ["Cloud"]


def test_a_when_that_cannot_be_evaluated_shows_its_page():
    pages = pages_of(
        {"spec": {"parameters": [{"title": "A"}, {"title": "B", "when": "${{ parameters.x | nosuchfilter }}"}]}}
    )

    assert [page.title for page in visible_pages(pages, {"x": 1})] == ["A", "B"]


def test_dependencies_with_one_of_add_the_branch_chosen_by_the_value():
    assert list(resolve(DEPENDENT, {})["properties"]) == ["hasDb", "name"]
    assert list(resolve(DEPENDENT, {"hasDb": False})["properties"]) == ["hasDb", "name"]
    chosen = resolve(DEPENDENT, {"hasDb": True})
    assert list(chosen["properties"]) == ["hasDb", "name", "dbName"]
    assert chosen["properties"]["hasDb"] == {"title": "Has a database", "type": "boolean"}
    assert chosen["required"] == ["dbName"]
    assert "dependencies" not in chosen


def test_property_dependencies_and_schema_dependencies():
    schema = {
        "properties": {"card": {"type": "string"}, "billing": {"type": "string"}},
        "dependencies": {"card": ["billing"], "billing": {"properties": {"zip": {"type": "string"}}}},
    }

    assert resolve(schema, {"card": "4111"})["required"] == ["billing"]
    assert list(resolve(schema, {"billing": "x"})["properties"]) == ["card", "billing", "zip"]
    assert resolve(schema, {"card": ""})["required"] == []


def test_if_then_else_and_all_of():
    schema = {
        "properties": {"cloud": {"type": "string", "enum": ["aws", "gcp"]}},
        "required": ["cloud"],
        "allOf": [
            {
                "if": {"properties": {"cloud": {"const": "aws"}}, "required": ["cloud"]},
                "then": {"properties": {"region": {"type": "string"}}, "required": ["region"]},
                "else": {"properties": {"project": {"type": "string"}}},
            }
        ],
    }

    assert list(resolve(schema, {"cloud": "aws"})["properties"]) == ["cloud", "region"]
    assert resolve(schema, {"cloud": "aws"})["required"] == ["cloud", "region"]
    assert list(resolve(schema, {"cloud": "gcp"})["properties"]) == ["cloud", "project"]
    assert list(resolve(schema, {})["properties"]) == ["cloud", "project"]


def test_field_order_follows_ui_order_or_the_text():
    written: dict[str, object] = {"properties": {"zeta": {}, "alpha": {}, "mid": {}}}
    assert [name for name, _ in ordered_properties(written)] == ["zeta", "alpha", "mid"]
    ordered = {**written, "ui:order": ["mid", "*", "zeta"]}
    assert [name for name, _ in ordered_properties(ordered)] == ["mid", "alpha", "zeta"]


def test_a_written_order_sorted_by_length_is_kept():
    written = {
        "properties": {"name": {}, "owner": {}, "system": {}, "lifecycle": {}, "description": {}},
        "required": ["name", "description", "owner", "lifecycle"],
    }

    assert [name for name, _ in ordered_properties(written)] == ["name", "owner", "system", "lifecycle", "description"]


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        ({"type": "string", "pattern": "^[a-z]+$"}, "ABC", "Use only lowercase letters."),
        ({"type": "string", "minLength": 3}, "ab", "Enter at least 3 characters."),
        ({"type": "string", "maxLength": 1}, "ab", "Enter at most 1 character."),
        ({"type": "integer", "minimum": 5}, 2, "Enter a number of at least 5."),
        ({"type": "integer", "maximum": 5}, 7, "Enter a number of at most 5."),
        ({"type": "integer"}, 2.5, "Enter a whole number."),
        ({"type": "string", "enum": ["a"]}, "b", "Choose one of the offered values."),
        ({"type": "string", "format": "email"}, "nobody", "Enter a valid e-mail address."),
        ({"type": "array", "minItems": 2}, ["a"], "Give at least 2 values."),
    ],
)
def test_validation_messages_never_repeat_the_value(schema, value, message):
    errors = validate({"properties": {"field": schema}}, {"field": value})

    assert errors == {"field": [message]}


def test_required_fields_and_nested_paths():
    schema = {
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "db": {"type": "object", "required": ["engine"], "properties": {"engine": {"type": "string"}}},
        },
    }

    assert validate(schema, {"db": {}}) == {
        "name": ["This field is required."],
        "db.engine": ["This field is required."],
    }
    assert validate(schema, {"name": "x", "db": {"engine": "pg"}}) == {}


def test_dependent_fields_are_validated_only_when_shown():
    assert validate(DEPENDENT, {"hasDb": False}) == {}
    assert validate(DEPENDENT, {"hasDb": True}) == {"dbName": ["This field is required."]}
    assert validate(DEPENDENT, {"hasDb": True, "dbName": "orders"}) == {}


@pytest.mark.parametrize(
    ("pattern", "attribute"),
    [
        ("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", "^[a-z][a-z0-9\\-]{1,38}[a-z0-9]$"),
        ("^[-a]$", "^[\\-a]$"),
        ("^[^-a]$", "^[^\\-a]$"),
        ("^[a-c-e]$", "^[a-c\\-e]$"),
        ("^a\\-b$", "^a-b$"),
        ("^\\w+@\\w+\\.com$", "^\\w+@\\w+\\.com$"),
        ("^[(|)]$", "^[\\(\\|\\)]$"),
        ("[a-z]+", ".*(?:[a-z]+).*"),
        ("^x{2,}$", "^x{2,}$"),
        ("^${{x}}$", "^$\\{\\{x\\}\\}$"),
        ("[unclosed", None),
        ("", None),
    ],
)
def test_html_patterns_are_valid_with_the_v_flag(pattern, attribute):
    assert html_pattern(pattern) == attribute
