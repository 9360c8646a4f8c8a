"""A ``pattern`` the value does not match is said in words, never as the regular expression: the field's own
``ui:help`` or ``description`` when it speaks of the format, else the pattern described for its common shapes,
else "Use the expected format" with an example the field gives."""

from __future__ import annotations

import pytest

from scaffolder.forms.patterns import describe_pattern, pattern_message
from scaffolder.forms.schema import validate

NAME = "^[a-z][a-z0-9-]{1,38}[a-z0-9]$"
NAME_IN_WORDS = (
    "Use 3\N{EN DASH}40 characters: lowercase letters, digits and dashes, starting with a letter and ending with a "
    "letter or a digit."
)


def errors_of(schema: dict, value: str) -> dict:
    return validate({"properties": {"field": {"type": "string", **schema}}}, {"field": value})


@pytest.mark.parametrize(
    ("pattern", "schema", "words"),
    [
        (NAME, {}, NAME_IN_WORDS),
        (
            "^[a-z][a-z0-9-]*$",
            {"minLength": 3, "maxLength": 63},
            "Use 3\N{EN DASH}63 characters: lowercase letters, digits and dashes, starting with a letter.",
        ),
        (
            "^[a-z0-9-]+[a-z0-9]$",
            {},
            "Use at least 2 characters: lowercase letters, digits and dashes, ending with a letter or a digit.",
        ),
        ("^[A-Z][a-zA-Z]{2,}$", {}, "Use at least 3 characters: letters, starting with an uppercase letter."),
        (
            "^[A-Za-z0-9_.-]+$",
            {"maxLength": 40},
            "Use at most 40 characters: letters, digits, dashes, underscores and dots.",
        ),
        ("^[a-z]+$", {}, "Use only lowercase letters."),
        ("^\\w+$", {}, "Use only letters, digits and underscores."),
        ("^[0-9]{4}$", {}, "Use 4 digits."),
        ("^\\d{2,5}$", {}, "Use 2\N{EN DASH}5 digits."),
        ("^[a-z]{2}[a-z]+$", {}, "Use at least 3 lowercase letters."),
        ("^[a-z]?$", {}, "Use at most 1 lowercase letter."),
    ],
)
def test_common_patterns_are_described_in_words(pattern, schema, words):
    assert describe_pattern(pattern, schema) == words


@pytest.mark.parametrize(
    "pattern",
    [
        "[a-z]+",  # not anchored: it only has to occur somewhere
        "^[a-z]+",
        "^v\\d+\\.\\d+$",  # literal characters
        "^[a-z]+_[a-z]+$",
        "^([A-Za-z0-9][A-Za-z0-9_.\\-]*)?[A-Za-z0-9]$",  # groups
        "^(dev|prod)$",
        "^[a-f0-9]{40}$",  # part of the alphabet
        "^[^ ]+$",  # negated class
        "^[a-z][0-9]+$",  # a first class the rest does not allow
        "^.+$",
        "",
        None,
    ],
)
def test_patterns_that_say_more_are_not_described(pattern):
    assert describe_pattern(pattern) is None


def test_the_help_is_the_message_when_it_explains_the_format():
    schema = {
        "pattern": NAME,
        "description": "The service's name, used for the repository and the catalog.",
        "ui:help": "3 to 40 characters: lowercase letters, digits and dashes, starting with a letter (e.g. orders-api)",
    }

    assert errors_of(schema, "Bad Name") == {
        "field": ["3 to 40 characters: lowercase letters, digits and dashes, starting with a letter (e.g. orders-api)."]
    }


def test_the_description_is_the_message_when_there_is_no_help_that_explains_the_format():
    described = {"pattern": "^v\\d+\\.\\d+$", "description": "A version such as v1.2."}
    helped_elsewhere = {**described, "ui:help": "Shown on the release page."}

    assert errors_of(described, "1.2") == {"field": ["A version such as v1.2."]}
    assert errors_of(helped_elsewhere, "1.2") == {"field": ["A version such as v1.2."]}


def test_a_description_of_the_purpose_only_gives_way_to_the_pattern_in_words():
    schema = {"pattern": NAME, "description": "The service's name, used for the repository.", "minLength": 3}

    assert errors_of(schema, "Bad Name") == {"field": [NAME_IN_WORDS]}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"ui:placeholder": "v1.2"}, "Use the expected format (for example: v1.2)."),
        ({"examples": ["1.2", "v3.4"]}, "Use the expected format (for example: v3.4)."),
        ({"default": "v0.1"}, "Use the expected format (for example: v0.1)."),
        ({"ui:placeholder": "version", "default": "v0.1"}, "Use the expected format (for example: v0.1)."),
        ({"ui:placeholder": "version"}, "Use the expected format."),
        ({}, "Use the expected format."),
    ],
)
def test_a_pattern_that_cannot_be_described_asks_for_the_format_with_an_example(schema, message):
    assert errors_of({"pattern": "^v\\d+\\.\\d+$", **schema}, "1.2") == {"field": [message]}


def test_the_message_never_shows_the_regular_expression():
    for pattern in (NAME, "^v\\d+\\.\\d+$", "^(dev|prod)$", "[a-z]+"):
        message = pattern_message({"pattern": pattern})
        assert pattern not in message
        assert not any(char in message for char in "^$[]{}\\|")


def test_items_of_a_list_are_described_too():
    schema = {"properties": {"tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z-]+$"}}}}

    assert validate(schema, {"tags": ["ok", "Not OK"]}) == {"tags.1": ["Use only lowercase letters and dashes."]}
