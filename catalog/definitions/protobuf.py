"""gRPC definitions (``.proto`` files) made readable: services and their methods, messages, enums.

A tokenizer and a recursive-descent reader of the Protocol Buffers language (proto2, proto3 and
editions), written for what real files hold: comments anywhere (the ones right above a declaration,
or after it on its line, become its description), options with aggregate values
(``option (google.api.http) = { post: "/v1/shelves" body: "shelf" };``), field options, groups,
``extend`` blocks, ``reserved`` and ``extensions`` ranges. It does not check types or numbers as
``protoc`` would; a text it cannot read raises :class:`DefinitionError` naming the line.
"""

from __future__ import annotations

import re

from catalog.definitions.protobuf_types import Comment, EnumValue, Field, Method, ProtoFile, Service, Token, Type
from catalog.openapi_render import DefinitionError

MAX_NESTING = 32
LABELS = ("optional", "repeated", "required")

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<unclosed>/\*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)(?![A-Za-z_]))
  | (?P<ident>\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<symbol>[{}()\[\];=<>,:/+\-.])
    """,
    re.DOTALL | re.VERBOSE,
)


def _comment_text(raw: str) -> list[str]:
    if raw.startswith("//"):
        return [raw[2:].removeprefix("/").removeprefix(" ").rstrip()]
    lines = raw[2:-2].split("\n")
    cleaned = []
    for line in lines:
        stripped = line.strip()
        stripped = stripped[1:] if stripped.startswith("*") else stripped
        cleaned.append(stripped.removeprefix(" ").rstrip())
    return cleaned


def tokenize(text: str) -> tuple[list[Token], list[Comment]]:
    tokens: list[Token] = []
    comments: list[Comment] = []
    line, position, last_code_line = 1, 0, 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is not None and match.lastgroup == "unclosed":
            raise DefinitionError(f"Line {line}: a /* comment is not closed.")
        if match is None:
            if text[position] in "\"'":
                raise DefinitionError(f"Line {line}: a string is not closed on its line.")
            raise DefinitionError(f"Line {line}: unexpected character {text[position]!r}.")
        kind, value = match.lastgroup or "", match.group()
        if kind in ("line_comment", "block_comment"):
            lines = _comment_text(value)
            own = last_code_line != line
            block = kind == "block_comment"
            previous = comments[-1] if comments and not block and own else None
            if previous is not None and previous.own_line and not previous.block and previous.last_line == line - 1:
                previous.text += "\n" + lines[0]
                previous.last_line = line
            else:
                comments.append(Comment("\n".join(lines), line, line + value.count("\n"), own, block))
        elif kind != "space":
            tokens.append(Token(kind, value, line))
            last_code_line = line
        line += value.count("\n")
        position = match.end()
    tokens.append(Token("end", "", line))
    return tokens, comments


_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")


def _tidy(text: str) -> str:
    """A comment as prose: the lines of each paragraph joined (comments are wrapped at 80 columns), list
    items on lines of their own; a paragraph that starts indented (an example) keeps its lines."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip("\n")):
        lines = paragraph.split("\n")
        if lines[0].startswith("  "):
            paragraphs.append("\n".join(line.rstrip() for line in lines))
            continue
        joined: list[str] = []
        for line in lines:
            if joined and not _LIST_ITEM.match(line):
                joined[-1] = f"{joined[-1]} {line.strip()}"
            else:
                joined.append(line.strip())
        paragraphs.append("\n".join(joined))
    return "\n\n".join(paragraphs).strip()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens, comments = tokenize(text)
        self.index = 0
        self.leading = {c.last_line: c for c in comments if c.own_line}
        self.trailing = {c.first_line: c for c in comments if not c.own_line}
        self.package = ""
        self.types: list[Type] = []
        self.services: list[Service] = []

    # --- tokens -----------------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.token
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, *values: str) -> bool:
        return self.token.kind in ("ident", "symbol") and self.token.value in values

    def fail(self, expected: str) -> DefinitionError:
        found = "the end of the file" if self.token.kind == "end" else repr(self.token.value)
        return DefinitionError(f"Line {self.token.line}: expected {expected}, found {found}.")

    def expect(self, value: str, what: str = "") -> Token:
        if not self.at(value):
            raise self.fail(what or repr(value))
        return self.next()

    def name(self, what: str) -> str:
        if self.token.kind != "ident":
            raise self.fail(what)
        return self.next().value

    def description(self, first_line: int, last_line: int) -> str:
        """The comment block just above ``first_line``, else the one after the declaration on ``last_line``."""
        above = self.leading.get(first_line - 1)
        if above is not None:
            return _tidy(above.text)
        after = self.trailing.get(last_line)
        return _tidy(after.text) if after else ""

    # --- values and options -------------------------------------------------------------------------

    def constant(self) -> str:
        """A scalar, an identifier, adjacent strings, or an aggregate ``{ … }`` / list ``[ … ]``, as text."""
        if self.at("{"):
            return self.aggregate()
        if self.at("["):
            self.next()
            items = []
            while not self.at("]"):
                items.append(self.constant())
                if self.at(","):
                    self.next()
                elif not self.at("]"):
                    raise self.fail("',' or ']'")
            self.next()
            return "[" + ", ".join(items) + "]"
        sign = self.next().value if self.at("-", "+") else ""
        token = self.token
        if token.kind == "string":
            parts = []
            while self.token.kind == "string":
                parts.append(self.next().value)
            return " ".join(parts)
        if token.kind in ("number", "ident"):
            return sign + self.next().value
        raise self.fail("a value")

    def aggregate(self) -> str:
        """A text-format message value, e.g. ``{ get: "/v1/{name=shelves/*}" body: "*" }``."""
        self.expect("{")
        pairs = []
        while not self.at("}"):
            if self.token.kind == "end":
                raise self.fail("'}'")
            if self.at("["):  # an extension name or an Any type URL as key
                self.next()
                parts = []
                while not self.at("]"):
                    if self.token.kind == "end":
                        raise self.fail("']'")
                    parts.append(self.next().value)
                self.next()
                key = "[" + "".join(parts) + "]"
            else:
                key = self.name("a field name")
            if self.at(":"):
                self.next()
            pairs.append(f"{key}: {self.constant()}")
            if self.at(",", ";"):
                self.next()
        self.next()
        return "{ " + " ".join(pairs) + " }" if pairs else "{}"

    def option_name(self) -> str:
        parts = []
        while not self.at("="):
            if self.token.kind == "end" or self.at(";", "{", "}"):
                raise self.fail("'=' after the option name")
            parts.append(self.next().value)
        return "".join(parts)

    def option(self) -> str:
        """``option name = value;`` (the keyword already read) as ``name = value``."""
        name = self.option_name()
        self.expect("=")
        value = self.constant()
        self.expect(";", "';' after the option")
        return f"{name} = {value}"

    def inline_options(self) -> list[str]:
        """``[name = value, …]`` after a field or enum value, if there."""
        if not self.at("["):
            return []
        self.next()
        options = []
        while True:
            name = self.option_name()
            self.expect("=")
            options.append(f"{name} = {self.constant()}")
            if self.at(","):
                self.next()
                continue
            self.expect("]", "',' or ']' after the field option")
            return options

    def skip_statement(self) -> None:
        """``reserved …;``, ``extensions …;`` and the like."""
        while not self.at(";"):
            if self.token.kind == "end" or self.at("{", "}"):
                raise self.fail("';'")
            self.next()
        self.next()

    # --- declarations ---------------------------------------------------------------------------------

    def parse(self) -> ProtoFile:
        syntax, imports, options = "proto2", [], []
        while self.token.kind != "end":
            keyword = self.token
            if self.at(";"):
                self.next()
            elif self.at("syntax", "edition"):
                self.next()
                self.expect("=")
                value = self.constant().strip("\"'")
                syntax = value if keyword.value == "syntax" else f"edition {value}"
                self.expect(";", "';' after the syntax")
            elif self.at("package"):
                self.next()
                self.package = self.name("a package name").lstrip(".")
                self.expect(";", "';' after the package name")
            elif self.at("import"):
                self.next()
                if self.at("public", "weak", "option"):
                    self.next()
                if self.token.kind != "string":
                    raise self.fail("the file to import, in quotes")
                imports.append(self.next().value.strip("\"'"))
                self.expect(";", "';' after the import")
            elif self.at("option"):
                self.next()
                options.append(self.option())
            elif self.at("message"):
                self.message(self.package, 0)
            elif self.at("enum"):
                self.enum(self.package)
            elif self.at("service"):
                self.service()
            elif self.at("extend"):
                self.extend(self.package, 0)
            else:
                raise self.fail("a declaration (syntax, package, import, option, message, enum, service)")
        self.link()
        return ProtoFile(syntax, self.package, imports, options, self.services, self.types)

    def _full(self, scope: str, name: str) -> str:
        return f"{scope}.{name}" if scope else name

    def message(self, scope: str, depth: int) -> Type:
        start = self.expect("message").line
        name = self.name("the message name")
        item = Type("message", name, self._full(scope, name))
        self.types.append(item)
        item.fields = self.body(item.full_name, depth + 1)
        item.description = self.description(start, start)
        return item

    def body(self, scope: str, depth: int, oneof: str = "") -> list[Field]:
        """The fields between ``{`` and ``}`` of a message, oneof, group or extend block."""
        if depth > MAX_NESTING:
            raise DefinitionError(f"Line {self.token.line}: messages nested more than {MAX_NESTING} deep.")
        self.expect("{")
        fields: list[Field] = []
        while not self.at("}"):
            if self.token.kind == "end":
                raise self.fail("'}'")
            if self.at(";"):
                self.next()
            elif self.at("option"):
                self.next()
                self.option()
            elif self.at("message") and self.peek().kind == "ident":
                self.message(scope, depth)
            elif self.at("enum") and self.peek().kind == "ident":
                self.enum(scope)
            elif self.at("extend") and self.peek().kind == "ident":
                self.extend(scope, depth)
            elif self.at("reserved", "extensions") and self.peek().value != "=":
                self.skip_statement()
            elif self.at("oneof") and self.peek().kind == "ident":
                self.next()
                group = self.name("the oneof name")
                fields.extend(self.body(scope, depth + 1, oneof=group))
            else:
                fields.append(self.field(scope, depth, oneof))
        self.next()
        return fields

    def field(self, scope: str, depth: int, oneof: str) -> Field:
        start = self.token.line
        label = self.next().value if self.at(*LABELS) and self.peek().kind == "ident" else ""
        group = False
        if self.at("map") and self.peek().value == "<":
            self.next()
            self.expect("<")
            key = self.name("the map's key type")
            self.expect(",")
            reference = self.name("the map's value type")
            self.expect(">")
            kind, label = f"map<{key}, {reference}>", "map"
        elif self.at("group") and self.peek().kind == "ident" and self.peek(2).value == "=":
            self.next()
            group = True
            kind = reference = self.name("the group name")
        else:
            kind = reference = self.name("a field, or a message, enum, oneof, option or reserved declaration")
        name = kind.lower() if group else self.name(f"the name of the {kind} field")
        self.expect("=", "'=' and the field number")
        number = self.constant()
        options = self.inline_options()
        if group:
            item = Type("message", kind, self._full(scope, kind))
            self.types.append(item)
            item.fields = self.body(item.full_name, depth + 1)
        else:
            self.expect(";", "';' after the field")
        found = Field(name, kind, number, label, oneof, options=options, reference=reference)
        found.description = self.description(start, self.tokens[self.index - 1].line)
        return found

    def enum(self, scope: str) -> Type:
        start = self.expect("enum").line
        name = self.name("the enum name")
        item = Type("enum", name, self._full(scope, name))
        self.types.append(item)
        item.description = self.description(start, start)
        self.expect("{")
        while not self.at("}"):
            if self.token.kind == "end":
                raise self.fail("'}'")
            if self.at(";"):
                self.next()
            elif self.at("option") and self.peek().value != "=":
                self.next()
                self.option()
            elif self.at("reserved") and self.peek().value != "=":
                self.skip_statement()
            else:
                line = self.token.line
                value_name = self.name("an enum value")
                self.expect("=", "'=' and the value's number")
                number = self.constant()
                options = self.inline_options()
                self.expect(";", "';' after the enum value")
                value = EnumValue(value_name, number, options=options)
                value.description = self.description(line, self.tokens[self.index - 1].line)
                item.values.append(value)
        self.next()
        return item

    def extend(self, scope: str, depth: int) -> None:
        self.expect("extend")
        self.name("the extended message")
        self.body(scope, depth + 1)

    def service(self) -> None:
        start = self.expect("service").line
        name = self.name("the service name")
        service = Service(name, self._full(self.package, name), self.description(start, start))
        self.services.append(service)
        self.expect("{")
        while not self.at("}"):
            if self.token.kind == "end":
                raise self.fail("'}'")
            if self.at(";"):
                self.next()
            elif self.at("option"):
                self.next()
                service.options.append(self.option())
            elif self.at("rpc"):
                service.methods.append(self.method())
            else:
                raise self.fail("'rpc' or 'option' in the service")
        self.next()

    def _message_argument(self) -> tuple[str, bool]:
        self.expect("(", "'(' and the message type")
        stream = self.at("stream") and self.peek().kind == "ident"
        if stream:
            self.next()
        kind = self.name("a message type")
        self.expect(")")
        return kind, stream

    def method(self) -> Method:
        start = self.expect("rpc").line
        name = self.name("the method name")
        request, request_stream = self._message_argument()
        self.expect("returns", "'returns'")
        response, response_stream = self._message_argument()
        method = Method(name, request, response, request_stream, response_stream)
        if self.at("{"):
            self.next()
            while not self.at("}"):
                if self.token.kind == "end":
                    raise self.fail("'}'")
                if self.at(";"):
                    self.next()
                    continue
                self.expect("option", "'option' in the method")
                option = self.option()
                method.options.append(option)
                method.http.extend(_http_rules(option))
            self.next()
            if self.at(";"):
                self.next()
        else:
            self.expect(";", "';' or '{' after the method")
        method.description = self.description(start, self.tokens[self.index - 1].line)
        return method

    # --- linking ---------------------------------------------------------------------------------------

    def link(self) -> None:
        """Point field and method types at the messages and enums of this file, as protoc looks them up."""
        by_name = {item.full_name: item for item in self.types}

        def resolve(reference: str, scope: str) -> Type | None:
            if reference.startswith("."):
                return by_name.get(reference[1:])
            parts = scope.split(".") if scope else []
            for cut in range(len(parts), -1, -1):
                found = by_name.get(".".join([*parts[:cut], reference]))
                if found is not None:
                    return found
            return None

        for item in self.types:
            item.local_name = item.full_name.removeprefix(f"{self.package}.") if self.package else item.full_name
            for entry in item.fields:
                target = resolve(entry.reference, item.full_name)
                entry.type_anchor = target.anchor if target else ""
        for service in self.services:
            for method in service.methods:
                method.request_type = resolve(method.request, self.package)
                method.response_type = resolve(method.response, self.package)


def _http_rules(option: str) -> list[str]:
    """``POST /v1/shelves (body: shelf)`` for each binding of a ``google.api.http`` option."""
    if not option.startswith("(google.api.http)"):
        return []
    rules = []
    for verb, path in re.findall(r'\b(get|put|post|delete|patch): ("(?:[^"\\]|\\.)*")', option):
        rules.append(f"{verb.upper()} {path[1:-1]}")
    for verb, path in re.findall(r'custom: \{ kind: ("[^"]*") path: ("[^"]*") \}', option):
        rules.append(f"{verb[1:-1]} {path[1:-1]}")
    body = re.search(r'\bbody: ("[^"]*")', option)
    if rules and body:
        rules[0] += f" (body: {body.group(1)[1:-1]})"
    return rules


def parse(text: str) -> ProtoFile:
    """The readable form of a ``.proto`` file, or :class:`DefinitionError` naming the line it stops at."""
    return _Parser(text).parse()
