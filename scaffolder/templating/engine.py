"""The expression engine: Backstage's ``${{ }}`` templating on a locked-down Jinja2 sandbox.

Backstage renders templates with nunjucks; Jinja2 shares its syntax for everything templates use. The
differences that matter are bridged here: ``===``/``!==`` and ``null`` are accepted, a value prints as JavaScript
prints it (``true``, ``a,b``, nothing for null), a mapping key wins over a method of the same name
(``parameters.items``), undefined values render empty and can be chained (``a.b.c``), and a string that is exactly
one ``${{ expression }}`` keeps the expression's own type.

Nothing reaches Python internals: there are no globals at all, only the filters of :mod:`.filters`, no
attribute starting with ``_``, and only read-only methods of strings, numbers, lists and mappings. No value larger
than ``Limits.file_bytes`` is ever built (:mod:`.bounds`): the operators ``~``, ``*``, ``+`` and ``**`` check the
size of their result first, and so do the filters that join or encode (``join``, ``replace``, ``dump``, ``indent``);
every other filter's and every call's result is measured, as is what a macro or a ``{% set %}`` block joins and what
a single expression gives. These guards bound what an expression can build in-process; CPU time and memory are
bounded by running the rendering in the sandbox process (:mod:`.sandbox`), which the task engine must use for
templates it did not write itself.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jinja2 import ChainableUndefined, Template, nodes
from jinja2 import TemplateError as JinjaError
from jinja2 import Undefined as JinjaUndefined
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.sandbox import ImmutableSandboxedEnvironment

from portal.redaction import redact

from .bounds import checked, joined, size_of, text_of
from .filters import build_filters
from .limits import LimitExceeded, current_limits, memory_message, value_message

VARIABLE_START = "${{"
VARIABLE_END = "}}"
MAX_MESSAGE_LENGTH = 500
MAX_INT_BITS = 4096
_COMPILE_CACHE_MAX_SOURCE = 64 * 1024

_STRING_METHODS = frozenset((
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isascii", "isdecimal",
    "isdigit", "isidentifier", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip",
    "partition", "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "swapcase", "title", "upper",
))  # fmt: skip
_NUMBER_ATTRIBUTES = frozenset({"real", "imag", "numerator", "denominator", "is_integer", "bit_length", "conjugate"})
_MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})
_SEQUENCE_METHODS = frozenset({"count", "index"})


class TemplateError(Exception):
    """A template could not be rendered; the message is safe to show a user and never holds a secret value."""


class _Missing:
    """What an undefined single expression gives (Backstage drops such a key from a step's input)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class NunjucksSyntax(Extension):
    """Accept what nunjucks accepts and Backstage templates use: ``===``, ``!==``, ``null``, and bare names as
    keys of a mapping literal (``{ defaultKind: "group" }`` is the key ``"defaultKind"``, not a variable)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        tokens = list(stream)
        brackets: list[str] = []
        previous = ""
        for index, token in enumerate(tokens):
            following = tokens[index + 1].type if index + 1 < len(tokens) else ""
            if token.type == "assign" and previous in ("eq", "ne"):
                continue  # "===" lexes as "==" "=": keep the "=="
            if token.type in ("lbrace", "lbracket", "lparen"):
                brackets.append(token.type)
            elif token.type in ("rbrace", "rbracket", "rparen") and brackets:
                brackets.pop()
            elif token.type in ("variable_end", "block_end"):
                brackets.clear()
            elif token.type == "name":
                if brackets[-1:] == ["lbrace"] and previous in ("lbrace", "comma") and following == "colon":
                    token = Token(token.lineno, "string", token.value)
                elif token.value == "null":
                    token = Token(token.lineno, "name", "none")
            previous = token.type
            yield token


class Undefined(ChainableUndefined):
    """Renders empty, chains (``a.b.c``), and equals null as JavaScript's ``undefined == null`` does."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, JinjaUndefined)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = ChainableUndefined.__hash__


def js_string(value: Any) -> Any:
    """Print a value the way nunjucks (JavaScript) does: ``true``, ``1``, ``a,b``, ``[object Object]``, nothing."""
    if value is None or isinstance(value, JinjaUndefined):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, (list, tuple)):
        checked(value)
        return joined((str(js_string(item)) for item in value), ",")
    if isinstance(value, Mapping):
        return "[object Object]"
    return value


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, but ``a ~ b`` calls :meth:`SandboxEnvironment.join_values`, which checks the size
    first, and a list, tuple or mapping written in the template is measured once built (``[a, a, a]``)."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_values((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")

    def _measured(self, visit: Any, node: nodes.Expr, frame: Frame) -> None:
        self.write("environment.measured(")
        visit(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # a target: {% for key, value in … %}
            super().visit_Tuple(node, frame)
        else:
            self._measured(super().visit_Tuple, node, frame)

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._measured(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._measured(super().visit_Dict, node, frame)


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = BoundedCodeGenerator

    def concat(self, parts: Iterable[str]) -> str:
        """What a macro, a ``{% set %}`` block or a ``{% filter %}`` block joins: refused when too large."""
        return joined(parts)

    def measured(self, value: Any) -> Any:
        return checked(value)

    def join_values(self, values: Iterable[Any]) -> str:
        """``a ~ b ~ c``: each value as a string, refused before joining when the result would be too large."""
        return joined(map(text_of, values))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call from a template (a method, a macro), and measure what it gives."""
        return checked(super().call(context, obj, *args, **kwargs))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, (str, bytes)):
            return attr in _STRING_METHODS
        if isinstance(obj, (int, float)):
            return attr in _NUMBER_ATTRIBUTES
        if isinstance(obj, Mapping):
            return attr in _MAPPING_METHODS
        if isinstance(obj, (list, tuple)):
            return attr in _SEQUENCE_METHODS
        return True

    def unsafe_undefined(self, obj: Any, attribute: str) -> JinjaUndefined:
        raise SecurityError(f"access to the attribute {attribute!r} is not allowed in templates")

    def wrap_str_format(self, value: Any) -> None:
        return None  # str.format is not offered at all (is_safe_attribute refuses it)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]  # like nunjucks: parameters.items is the key "items", not dict.items
        if attribute.startswith("_"):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if (
            isinstance(argument, str)
            and argument.startswith("_")
            and not (isinstance(obj, Mapping) and argument in obj)
        ):
            return self.unsafe_undefined(obj, argument)
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        problem = _binop_problem(operator_name, left, right)
        if problem is not None:
            raise problem
        return self.binop_table[operator_name](left, right)


def _binop_problem(operator_name: str, left: Any, right: Any) -> Exception | None:
    """Why ``left <operator> right`` must not run (a string format, or a result too large), or None."""
    limits = current_limits()
    sized = (str, list, tuple)
    both_ints = isinstance(left, int) and isinstance(right, int)
    if operator_name == "%" and isinstance(left, str):
        return SecurityError("string formatting with % is not allowed in templates; use ~ to join strings")
    if operator_name == "*":
        sequence, count = (left, right) if isinstance(left, sized) else (right, left)
        repeats = isinstance(sequence, sized) and isinstance(count, int) and count > 0
        if repeats and size_of(sequence, limits.file_bytes) * count > limits.file_bytes:
            return LimitExceeded(value_message(limits))
        if both_ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            return ValueError("the number is too large")
    joins = operator_name == "+" and isinstance(left, sized) and isinstance(right, sized)
    if joins and size_of(left, limits.file_bytes) + size_of(right, limits.file_bytes) > limits.file_bytes:
        return LimitExceeded(value_message(limits))
    if operator_name == "**" and both_ints and abs(left) > 1 and right * left.bit_length() > MAX_INT_BITS:
        return ValueError("the number is too large")
    return None


@functools.lru_cache(maxsize=32)
def environment(
    *, cookiecutter_compat: bool = False, trim_blocks: bool = False, lstrip_blocks: bool = False, newline: str = "\n"
) -> SandboxEnvironment:
    """The sandbox environment for these options (``cookiecutter_compat``: ``{{ }}`` and the ``jsonify`` filter)."""
    env = SandboxEnvironment(
        variable_start_string="{{" if cookiecutter_compat else VARIABLE_START,
        variable_end_string=VARIABLE_END,
        undefined=Undefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=trim_blocks,
        lstrip_blocks=lstrip_blocks,
        newline_sequence=newline,
        extensions=[NunjucksSyntax],
        finalize=js_string,
        cache_size=0,
        auto_reload=False,
    )
    env.globals.clear()
    env.filters = build_filters(cookiecutter_compat=cookiecutter_compat)
    return env


@functools.lru_cache(maxsize=256)
def _compile_cached(env: SandboxEnvironment, source: str) -> Template:
    return env.from_string(source)


def _compile(env: SandboxEnvironment, source: str) -> Template:
    if len(source) <= _COMPILE_CACHE_MAX_SOURCE:
        return _compile_cached(env, source)
    return env.from_string(source)


@functools.lru_cache(maxsize=256)
def _single_expression(source: str) -> Any:
    """The compiled expression when ``source`` is exactly one ``${{ expression }}``, else None."""
    if not (source.startswith(VARIABLE_START) and source.endswith(VARIABLE_END)):
        return None
    env = environment()
    body = env.parse(source).body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return None
    if isinstance(body[0].nodes[0], nodes.TemplateData):
        return None
    inner = source[len(VARIABLE_START) : -len(VARIABLE_END)]
    inner = inner[1:] if inner[:1] in ("-", "+") else inner  # whitespace control, as the lexer reads it
    inner = inner[:-1] if inner[-1:] in ("-", "+") else inner
    return env.compile_expression(inner, undefined_to_none=False)


def render_text(
    template: Template | str, context: Mapping[str, Any], *, limit_message: str | None = None, **options: Any
) -> str:
    """Render a template to a string, stopping as soon as the output passes ``Limits.file_bytes`` characters."""
    if isinstance(template, str):
        template = _compile(environment(**options), template)
    limits = current_limits()
    parts: list[str] = []
    size = 0
    for chunk in template.generate(dict(context)):
        size += len(chunk)
        if size > limits.file_bytes:
            raise LimitExceeded(limit_message or value_message(limits))
        parts.append(chunk)
    return "".join(parts)


def has_template_syntax(text: str, *, cookiecutter_compat: bool = False) -> bool:
    starts = ("{{" if cookiecutter_compat else VARIABLE_START, "{%", "{#")
    return any(start in text for start in starts)


def plain(value: Any) -> Any:
    """An expression's value as JSON data: undefined becomes MISSING, tuples and iterators lists."""
    if isinstance(value, JinjaUndefined):
        return MISSING
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        items = ((str(key), plain(item)) for key, item in value.items())
        return {key: item for key, item in items if item is not MISSING}
    if isinstance(value, (list, tuple, set, frozenset, Iterator)):
        return [None if item is MISSING else item for item in map(plain, value)]
    raise ValueError(f"the expression gives a {type(value).__name__}, which is not JSON data")


def secret_values(context: Mapping[str, Any]) -> list[str]:
    """Every secret string of a context (``secrets`` and ``environment.secrets``), longest first."""
    found: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, Mapping):
            for item in value.values():
                collect(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)
        elif value is not None and not isinstance(value, bool):
            found.append(str(value))

    collect(context.get("secrets"))
    environment_part = context.get("environment")
    if isinstance(environment_part, Mapping):
        collect(environment_part.get("secrets"))
    return sorted({value for value in found if value}, key=len, reverse=True)


def describe(error: BaseException) -> str:
    """A user-facing description of an error raised while rendering (not yet redacted)."""
    if isinstance(error, TemplateSyntaxError):
        return f"syntax error on line {error.lineno}: {error.message}"
    if isinstance(error, LimitExceeded):
        return str(error)
    if isinstance(error, RecursionError):
        return "the template calls itself too deeply (recursion)"
    if isinstance(error, MemoryError):
        return memory_message(current_limits())
    if isinstance(error, (JinjaError, ValueError, TypeError, ArithmeticError, LookupError)) and str(error):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def template_error(error: BaseException, secrets: Iterable[str], where: str = "") -> TemplateError:
    message = redact(f"{where}{describe(error)}", secrets)
    if len(message) > MAX_MESSAGE_LENGTH:
        message = message[: MAX_MESSAGE_LENGTH - 1] + "…"
    return TemplateError(message)


def _render(template: str, context: Mapping[str, Any]) -> Any:
    expression = _single_expression(template)
    if expression is not None:
        return checked(plain(expression(**context)))
    return render_text(template, context)


def _guarded(function: Any, value: Any, context: Mapping[str, Any]) -> Any:
    failure: TemplateError | None = None
    try:
        return function(value, context)
    except TemplateError:
        raise
    except Exception as error:  # every rendering failure becomes a TemplateError (below, without its cause)
        failure = template_error(error, secret_values(context))
    raise failure


def render_string(template: str, context: Mapping[str, Any]) -> Any:
    """Render one string: exactly one ``${{ expr }}`` gives the expression's value (None when undefined)."""
    value = _guarded(_render, template, context)
    return None if value is MISSING else value


def _render_value(value: Any, context: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        rendered = _render(value, context)
        return MISSING if rendered == "" and not _single_expression(value) else rendered
    if isinstance(value, Mapping):
        items = ((key, _render_value(item, context)) for key, item in value.items())
        return {key: item for key, item in items if item is not MISSING}
    if isinstance(value, (list, tuple)):
        return [None if item is MISSING else item for item in (_render_value(item, context) for item in value)]
    return value


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string in a JSON value (keys stay as written), as Backstage renders a step's input.

    Like Backstage, a key whose value renders to nothing (an undefined expression, or a template that renders an
    empty string) is left out of its mapping; in a list it becomes None.
    """
    rendered = _guarded(_render_value, value, context)
    return None if rendered is MISSING else rendered


def is_truthy(value: Any) -> bool:
    """Backstage's truthiness for ``if:``, plus the string ``"false"`` (any case) counting as false."""
    if value is MISSING or value is None or value is False:
        return False
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false")
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, (list, tuple)):
        return len(value) > 0
    return True  # a mapping, even empty, is truthy in JavaScript


def evaluate_condition(value: Any, context: Mapping[str, Any]) -> bool:
    """Decide an ``if:`` of a step or an output item: render a string, then apply :func:`is_truthy`."""
    if isinstance(value, str):
        value = _guarded(_render, value, context)
    return is_truthy(value)
