"""``portal.params``: whole-number query parameters, refused clearly when they are not, or too large."""

from __future__ import annotations

import pytest

from portal import params


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("17", 17), (" 42 ", 42), ("007", 7)])
def test_a_whole_number_is_read(raw, expected):
    assert params.integer("limit", raw, None) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_a_missing_or_blank_value_is_the_default(raw):
    assert params.integer("limit", raw, 20) == 20


@pytest.mark.parametrize("raw", ["ten", "1.5", "+3", "--5", "1_000", "0x10", "²", "٣", "1e3"])
def test_anything_but_ascii_digits_is_not_a_number(raw):
    with pytest.raises(params.ParamError) as raised:
        params.integer("limit", raw, None)

    assert (raised.value.name, raised.value.problem) == ("limit", params.NOT_A_NUMBER)
    assert str(raised.value) == f"limit must be a whole number, not {raw!r}."


def test_a_value_below_the_minimum_is_refused_with_the_value():
    with pytest.raises(params.ParamError) as raised:
        params.integer("offset", "-1", 0)

    assert (raised.value.problem, str(raised.value)) == (params.TOO_SMALL, "offset must be at least 0, not -1.")


def test_the_largest_64_bit_integer_is_accepted_and_one_more_is_refused():
    assert params.integer("offset", str(2**63 - 1), 0) == 9223372036854775807

    with pytest.raises(params.ParamError) as raised:
        params.integer("offset", str(2**63), 0)

    assert (raised.value.problem, str(raised.value)) == (
        params.TOO_LARGE,
        "offset must be at most 9223372036854775807.",
    )


def test_a_number_of_thousands_of_digits_is_refused_without_being_converted():
    with pytest.raises(params.ParamError) as too_large:
        params.integer("offset", "9" * 10_000, 0)
    with pytest.raises(params.ParamError) as too_small:
        params.integer("offset", "-" + "9" * 10_000, 0)

    assert (too_large.value.problem, str(too_large.value)) == (
        params.TOO_LARGE,
        "offset must be at most 9223372036854775807.",
    )
    assert (too_small.value.problem, str(too_small.value)) == (params.TOO_SMALL, "offset must be at least 0.")


def test_leading_zeros_do_not_make_a_number_too_large():
    assert params.integer("offset", "0" * 40 + "5", 0) == 5


def test_a_value_above_the_cap_becomes_the_cap():
    assert params.integer("limit", "5000", 20, cap=100) == 100
    assert params.integer("limit", "50", 20, cap=100) == 50


def test_a_negative_minimum_allows_negative_values():
    assert params.integer("delta", "-3", 0, minimum=-10) == -3


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 1), ("", 1), ("3", 3), ("0", 1), ("-2", 1), ("two", 1), ("9" * 40, 1), (str(2**63), 1)],
)
def test_a_page_number_is_a_whole_number_of_at_least_one(raw, expected):
    assert params.page_number(raw) == expected


def test_a_page_number_too_large_for_the_database_shows_the_first_page(staff_client):
    from django.urls import reverse

    page = staff_client.get(reverse("portal:runs"), {"page": "9223372036854775808"})

    assert (page.status_code, page.context["page"]) == (200, 1)
