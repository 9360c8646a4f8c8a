"""Splitting descriptor files into YAML documents, with line numbers (catalog.ingest.parsing)."""

import pytest

from catalog.ingest.parsing import Document, ParseProblem, parse_documents, parse_single


def parse(text: str | bytes) -> list:
    return list(parse_documents(text.encode("utf-8") if isinstance(text, str) else text))


def test_each_document_gets_its_index_and_the_line_it_starts_on():
    # Given three documents, the first without a marker and one after a comment
    text = "kind: A\n---\nkind: B\n---\n# about C\n\nkind: C\n"

    # When the file is parsed
    documents = parse(text)

    # Then each document has its index and its first line
    assert documents == [
        Document(0, 1, {"kind": "A"}),
        Document(1, 3, {"kind": "B"}),
        Document(2, 7, {"kind": "C"}),
    ]


def test_a_syntax_error_is_reported_with_its_line_and_the_documents_around_it_are_read():
    text = "kind: A\n---\nkind: B\nmetadata:\n  tags: [open\n  name: x\n---\nkind: C\n"

    documents = parse(text)

    assert documents[0] == Document(0, 1, {"kind": "A"})
    assert isinstance(documents[1], ParseProblem)
    assert (documents[1].index, documents[1].line) == (1, 6)
    assert documents[1].message == (
        "YAML: did not find expected ',' or ']' (column 7), while parsing a flow sequence that starts on line 5"
    )
    assert documents[2] == Document(2, 8, {"kind": "C"})


def test_a_key_given_twice_is_an_error_at_the_second_key():
    text = "kind: A\nspec:\n  type: one\n  type: two\n"

    assert parse(text) == [ParseProblem(0, 4, "YAML: the key 'type' appears twice (column 3)")]


def test_scalars_are_read_the_yaml_1_2_way():
    # yes/no/on are strings, dates stay strings (JSON has no dates); true/false are booleans
    text = "a: yes\nb: on\nc: 2024-01-31\nd: true\ne: False\nf: 12\ng: 1.5\nh: null\n"

    assert parse(text) == [
        Document(0, 1, {"a": "yes", "b": "on", "c": "2024-01-31", "d": True, "e": False, "f": 12, "g": 1.5, "h": None})
    ]


def test_documents_holding_nothing_are_left_out_and_not_numbered():
    text = "---\n# only a comment\n---\n---\nkind: A\n---\n"

    assert parse(text) == [Document(0, 5, {"kind": "A"})]


def test_a_document_end_marker_closes_a_document():
    text = "kind: A\n...\n---\nkind: B\n...\n"

    assert parse(text) == [Document(0, 1, {"kind": "A"}), Document(1, 4, {"kind": "B"})]


def test_a_directive_belongs_to_the_document_after_it():
    text = "%YAML 1.2\n---\nkind: A\n"

    assert parse(text) == [Document(0, 3, {"kind": "A"})]


def test_a_byte_order_mark_and_crlf_line_ends_are_accepted():
    data = "\ufeffkind: A\r\n---\r\nkind: B\r\n".encode()

    assert parse(data) == [Document(0, 1, {"kind": "A"}), Document(1, 3, {"kind": "B"})]


def test_a_file_that_is_not_utf8_is_one_problem_at_the_line_of_the_bad_byte():
    data = b"kind: A\nname: caf\xe9\n"

    assert parse(data) == [ParseProblem(None, 2, "The file is not UTF-8 text (byte 18)")]


def test_parse_single_refuses_several_documents():
    with pytest.raises(ValueError, match=r"^expected one YAML document, found 2$"):
        parse_single(b"a: 1\n---\nb: 2\n")


def test_a_field_path_is_found_at_its_line_or_its_nearest_parent_present():
    text = "kind: Location\nmetadata:\n  annotations:\n    backstage.io/x: y\nspec:\n  targets:\n    - a\n    - b\n"

    (document,) = parse(text)

    assert document.line_of("metadata.annotations.backstage.io/x") == 4
    assert document.line_of("spec.targets.1") == 8
    assert document.line_of("spec.targets.7") == 6
    assert document.line_of("spec.owner") == 5
    assert document.line_of("") == 1
