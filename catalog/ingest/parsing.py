"""Splitting a descriptor file into YAML documents, each with its line number.

The file is cut at its document markers (``---`` and ``...`` at the start of a line, which YAML
forbids inside any scalar) before parsing, so a syntax error in one document is reported with its
line and the documents around it are still read. Scalars are read the YAML 1.2 way, as Backstage
does: only ``true``/``false`` are booleans and ``2024-01-31`` stays a string. A key given twice in a
mapping is an error, as it is for Backstage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

_START = re.compile(r"^---(?:[ \t]|$)")
_END = re.compile(r"^\.\.\.(?:[ \t]|$)")


class _Resolver(yaml.resolver.Resolver):
    pass


# YAML 1.2 core schema for booleans; no implicit timestamps.
_YAML11_ONLY = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
_Resolver.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML11_ONLY]
    for key, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _Constructor(yaml.constructor.SafeConstructor):
    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue  # a collection as a key: SafeConstructor refuses it
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise DuplicateKeyError(
                        None, None, f"the key {key_node.value!r} appears twice", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


if yaml.__with_libyaml__:  # libyaml's parser, when PyYAML was built with it (the wheels are)
    from yaml._yaml import CParser as _CParser

    class _Loader(_CParser, _Constructor, _Resolver):
        def __init__(self, stream):
            _CParser.__init__(self, stream)
            _Constructor.__init__(self)
            _Resolver.__init__(self)

else:  # pragma: no cover - PyYAML without libyaml

    class _Loader(  # type: ignore[no-redef]  # the other of the two definitions, chosen at import
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _Constructor, _Resolver
    ):
        def __init__(self, stream):
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)


@dataclass(frozen=True, slots=True)
class Document:
    """A document of the file: its 0-based index, the 1-based line it starts on, its data."""

    index: int
    line: int
    data: Any
    node: yaml.Node | None = field(default=None, compare=False, repr=False)
    offset: int = field(default=0, compare=False, repr=False)

    def line_of(self, path: str) -> int:
        """The line of the field at a dotted ``path`` (``spec.targets.0``), or of its nearest
        parent present in the file (a missing field, a value put there by a placeholder)."""
        if self.node is None or not path:
            return self.line
        parts, position, current = path.split("."), 0, self.node
        line = current.start_mark.line
        while position < len(parts):
            if isinstance(current, yaml.MappingNode):
                for end in range(len(parts), position, -1):
                    key = ".".join(parts[position:end])
                    found = next((pair for pair in current.value if getattr(pair[0], "value", None) == key), None)
                    if found is not None:
                        line, current, position = found[0].start_mark.line, found[1], end
                        break
                else:
                    break
            elif isinstance(current, yaml.SequenceNode) and parts[position].isdigit():
                index = int(parts[position])
                if index >= len(current.value):
                    break
                current, position = current.value[index], position + 1
                line = current.start_mark.line
            else:
                break
        return self.offset + line + 1


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """A document that could not be read: its index, the line of the error, what is wrong."""

    index: int | None
    line: int | None
    message: str


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """``(first line number (0-based), text)`` of each document-sized piece of the file."""
    lines = text.splitlines(keepends=True)
    start, content, marker = 0, False, False
    for number, line in enumerate(lines):
        bare = line.rstrip("\r\n")
        if _START.match(bare):
            if content:
                yield start, "".join(lines[start:number])
            if content or marker:  # a piece holds one marker: an empty document before it is dropped
                start = number
            # The marker opens the document of the current piece (which holds only comments so far).
            rest = bare[3:].strip()
            content, marker = bool(rest and not rest.startswith("#")), True
            continue
        if _END.match(bare):
            yield start, "".join(lines[start:number])
            start, content, marker = number + 1, False, False
            continue
        stripped = bare.strip()
        if stripped and not stripped.startswith("#") and not (not content and bare.startswith("%")):
            content = True
    if start < len(lines):
        yield start, "".join(lines[start:])


def _message(exc: yaml.YAMLError, offset: int) -> tuple[int, str]:
    """The 1-based line of a YAML error in the file, and what went wrong there."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return offset + 1, str(exc)
    mark = exc.problem_mark or exc.context_mark
    line = offset + mark.line + 1 if mark is not None else offset + 1
    text = exc.problem or exc.context or "invalid YAML"
    if mark is not None:
        text += f" (column {mark.column + 1})"
    if exc.context and exc.problem and exc.context_mark is not None:
        text += f", {exc.context} that starts on line {offset + exc.context_mark.line + 1}"
    return line, text


def parse_documents(data: bytes) -> Iterator[Document | ParseProblem]:
    """The documents of a file, and a :class:`ParseProblem` for each one that cannot be read.

    Documents holding nothing (only comments, or an empty ``---``) are left out and not numbered.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        yield ParseProblem(None, line, f"The file is not UTF-8 text (byte {exc.start + 1})")
        return
    index = 0
    for offset, chunk in _chunks(text):
        loader = _Loader(chunk)
        try:
            node = loader.get_single_node()
            if node is None:
                continue
            value = loader.construct_document(node)
        except yaml.YAMLError as exc:
            line, message = _message(exc, offset)
            yield ParseProblem(index, line, f"YAML: {message}")
            index += 1
            continue
        finally:
            loader.dispose()
        if value is None:  # an empty document (a trailing "---")
            continue
        yield Document(index, offset + node.start_mark.line + 1, value, node, offset)
        index += 1


def parse_single(data: bytes) -> Any:
    """The one document of a ``$yaml`` file; ``ValueError`` for none, several, or bad YAML."""
    found = list(parse_documents(data))
    for item in found:
        if isinstance(item, ParseProblem):
            raise ValueError(f"line {item.line}: {item.message}")
    documents = [item for item in found if isinstance(item, Document)]
    if len(documents) != 1:
        raise ValueError(f"expected one YAML document, found {len(documents)}")
    return documents[0].data
