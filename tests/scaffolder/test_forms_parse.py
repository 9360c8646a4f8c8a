"""Reading a page's POST back into JSON values: types, empty fields, secrets kept from before, nested
objects, lists of groups, and fields that appear with the answers."""

from __future__ import annotations

from django.http import QueryDict

from scaffolder.forms.fields import FormContext, add_item, defaults, page_names, parse, remove_item
from tests.scaffolder.test_forms_schema import DEPENDENT

PAGE = {
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "summary": {"type": "string", "ui:widget": "textarea"},
        "count": {"type": "integer"},
        "ratio": {"type": "number"},
        "public": {"type": "boolean"},
        "size": {"type": "integer", "enum": [1, 2]},
        "flag": {"enum": [True, False, None]},
        "environments": {"type": "array", "items": {"type": "string", "enum": ["dev", "prod"]}},
        "topics": {"type": "array", "items": {"type": "string"}},
        "ports": {"type": "array", "items": {"type": "integer"}},
        "db": {"type": "object", "properties": {"engine": {"type": "string"}, "size": {"type": "integer"}}},
    },
}


def read(schema: dict, data: str, previous: dict | None = None):
    return parse(schema, QueryDict(data), FormContext(None), previous)


def test_each_kind_of_field_gives_its_json_type():
    values, errors = read(
        PAGE,
        "name=orders&summary=a%0D%0Ab&count=3&ratio=0.5&public=true&size=2&flag=null&environments=prod"
        "&environments=dev&topics=%20x%20%0Ay%0A%0A&ports=80%0A443&db.engine=pg&db.size=5",
    )

    assert errors == {}
    assert values == {
        "name": "orders",
        "summary": "a\nb",
        "count": 3,
        "ratio": 0.5,
        "public": True,
        "size": 2,
        "flag": None,
        "environments": ["dev", "prod"],
        "topics": ["x", "y"],
        "ports": [80, 443],
        "db": {"engine": "pg", "size": 5},
    }


def test_empty_fields_have_no_value_and_unticked_boxes_are_false():
    values, errors = read(PAGE, "name=&count=&summary=")

    assert errors == {}
    assert values == {"public": False, "environments": [], "topics": [], "ports": [], "db": {}}


def test_values_that_cannot_be_read_are_errors_of_their_field():
    values, errors = read(PAGE, "name=x&count=3.5&ratio=abc&size=9&ports=1%0Atwo")

    assert errors == {
        "count": ["Enter a whole number."],
        "ratio": ["Enter a number."],
        "size": ["Choose one of the offered values."],
        "ports": ["Enter one number per line."],
    }
    assert values["name"] == "x"
    assert "count" not in values


def test_a_secret_left_empty_keeps_the_value_given_before():
    page = {"properties": {"token": {"type": "string", "ui:field": "Secret"}, "name": {"type": "string"}}}

    assert read(page, "token=&name=a", {"token": "s3cret"}) == ({"token": "s3cret", "name": "a"}, {})
    assert read(page, "token=new", {"token": "s3cret"}) == ({"token": "new"}, {})
    assert read(page, "token=") == ({}, {})


def test_dependent_fields_are_read_only_when_their_condition_holds():
    assert read(DEPENDENT, "hasDb=true&dbName=orders") == ({"hasDb": True, "dbName": "orders"}, {})
    # The box was unticked: the dependent field posted with the old form is dropped.
    assert read(DEPENDENT, "dbName=orders", {"hasDb": True, "dbName": "orders"}) == ({"hasDb": False}, {})


def test_lists_of_groups_are_read_by_index():
    page = {"properties": {"services": {"type": "array", "items": {"type": "object", "properties": {"n": {}}}}}}

    values, errors = read(page, "services.__count=2&services.0.n=api&services.1.n=")

    assert (values, errors) == ({"services": [{"n": "api"}, {}]}, {})
    assert add_item({"services": [{"n": "api"}]}, "services") == {"services": [{"n": "api"}, {}]}
    assert remove_item({"services": [{"n": "a"}, {"n": "b"}]}, "services", 0) == {"services": [{"n": "b"}]}
    assert add_item({}, "db.replicas") == {"db": {"replicas": [{}]}}


def test_defaults_fill_only_what_has_no_value():
    schema = {"properties": {"a": {"default": 1}, "b": {"default": 2}, "o": {"properties": {"c": {"default": 3}}}}}

    assert defaults(schema, {"a": 9}) == {"a": 9, "b": 2, "o": {"c": 3}}


def test_page_names_include_every_conditional_field():
    assert page_names(DEPENDENT) == {"hasDb", "name", "dbName"}
