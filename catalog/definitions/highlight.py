"""Definitions as highlighted text: Pygments on the server, one ``<span class="line">`` per line.

Token colours are in ``catalog/static/catalog/definitions.css`` (light and dark themes). Line
numbers are drawn by the style sheet, so copying the text copies the definition only. Pygments'
own GraphQL lexer reads queries; schemas (SDL, with ``\"\"\"descriptions\"\"\"``) need the lexer below.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer, RegexLexer, bygroups, words
from pygments.lexers import JsonLexer, ProtoBufLexer, TypeScriptLexer, YamlLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

#: Larger definitions are shown as plain text: highlighting them would slow the page down.
MAX_HIGHLIGHTED = 400_000


class GraphQLSchemaLexer(RegexLexer):
    """GraphQL type definitions and operations, descriptions and directives included."""

    name = "GraphQL schema"
    aliases = ["graphql-schema"]

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"""(?:\\"""|[^"]|"(?!""))*"""', String.Doc),
            (r'"(?:\\.|[^"\\\n])*"', String.Double),
            (
                r"(type|interface|input|enum|union|scalar)(\s+)([_A-Za-z][_0-9A-Za-z]*)",
                bygroups(Keyword.Declaration, Whitespace, Name.Class),
            ),
            (
                r"(query|mutation|subscription|fragment)(\s+)([_A-Za-z][_0-9A-Za-z]*)",
                bygroups(Keyword.Declaration, Whitespace, Name.Function),
            ),
            (r"(directive)(\s+)(@[_A-Za-z][_0-9A-Za-z]*)", bygroups(Keyword.Declaration, Whitespace, Name.Decorator)),
            (
                words(
                    ("schema", "extend", "implements", "on", "repeatable", "query", "mutation", "subscription"),
                    suffix=r"\b",
                ),
                Keyword,
            ),
            (words(("true", "false", "null"), suffix=r"\b"), Keyword.Constant),
            (words(("Int", "Float", "String", "Boolean", "ID"), suffix=r"\b"), Keyword.Type),
            (r"@[_A-Za-z][_0-9A-Za-z]*", Name.Decorator),
            (r"\$[_A-Za-z][_0-9A-Za-z]*", Name.Variable),
            (r"([_A-Za-z][_0-9A-Za-z]*)(\s*)(?=[:(])", bygroups(Name.Attribute, Whitespace)),
            (r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", Number),
            (r"[A-Z][_0-9A-Z]*[a-z][_0-9A-Za-z]*", Name.Class),  # a type: PascalCase, not an ENUM_VALUE
            (r"[_A-Za-z][_0-9A-Za-z]*", Name),
            (r"[!=|&]|\.\.\.", Operator),
            (r"[{}()\[\]:,]", Punctuation),
            (r".", Text),
        ]
    }


def lexer_for(language: str) -> Lexer | None:
    lexers = {
        "yaml": YamlLexer,
        "json": JsonLexer,
        "graphql": GraphQLSchemaLexer,
        "protobuf": ProtoBufLexer,
        "typescript": TypeScriptLexer,
    }
    found = lexers.get(language)
    return found(stripnl=False, ensurenl=False) if found else None


def _lines(html: str) -> SafeString:
    """Each line of highlighted (or escaped) HTML in its own span, numbered for the style sheet.

    Pygments closes its token spans at each line end, so splitting on newlines keeps the HTML whole.
    """
    rows = html.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    return mark_safe(  # noqa: S308 (Pygments and escape() produced every character)
        "\n".join(f'<span class="line" id="def-L{number}">{row}</span>' for number, row in enumerate(rows, 1))
    )


def highlight(text: str, language: str) -> SafeString:
    """The text as HTML lines, highlighted when ``language`` has a lexer and the text is not too large."""
    lexer = lexer_for(language) if len(text) <= MAX_HIGHLIGHTED else None
    if lexer is None:
        return _lines(str(escape(text)))
    return _lines(pygments_highlight(text, lexer, HtmlFormatter(nowrap=True)))


def line_count(text: str) -> int:
    return len(text.splitlines()) or 1
