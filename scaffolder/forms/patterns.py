"""JSON Schema ``pattern``s as HTML ``pattern`` attributes (which browsers compile with JavaScript's ``v`` flag)
and in words for people (:func:`pattern_message`)."""

from __future__ import annotations

import re
from typing import Any

_SYNTAX = frozenset("^$\\.*+?()[]{}|/")
#: Characters that must be escaped inside a character class under the ``v`` flag.
_CLASS_RESERVED = frozenset("&-!#%,:;<=>@`~()[]{}/|")
_QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}")


def html_pattern(pattern: Any) -> str | None:
    """A JSON Schema ``pattern`` as an HTML ``pattern`` attribute.

    Browsers compile the attribute with JavaScript's ``v`` flag against the whole value: a literal ``-``
    at the edge of a class (``[a-z0-9-]``) is an error there, so it is escaped, as are other characters
    ``v`` reserves; an identity escape such as ``\\-`` outside a class is unescaped; a pattern that is not
    anchored at both ends is wrapped so that it still only has to occur somewhere in the value.
    """
    if not isinstance(pattern, str) or not pattern:
        return None
    out: list[str] = []
    index, in_class, class_start, previous_atom, range_open = 0, False, False, False, False
    while index < len(pattern):
        char = pattern[index]
        following = pattern[index + 1] if index + 1 < len(pattern) else ""
        if char == "\\":
            if not following:
                return None
            keep = following.isalnum() or following in _SYNTAX or (in_class and following in _CLASS_RESERVED)
            out.append(char + following if keep else following)
            index, class_start = index + 2, False
            previous_atom, range_open = not range_open, False
            continue
        if in_class:
            if char == "]" and not class_start:
                in_class = False
                out.append(char)
            elif char == "^" and class_start and out[-1] == "[":
                out.append(char)
                index += 1
                continue
            elif char == "-":
                ranged = previous_atom and following not in ("", "]")
                out.append("-" if ranged else "\\-")
                previous_atom, range_open, class_start = False, ranged, False
                index += 1
                continue
            elif char in _CLASS_RESERVED:
                out.append("\\" + char)
            else:
                out.append(char)
            class_start, previous_atom, range_open = False, not range_open, False
            index += 1
            continue
        if char == "[":
            in_class, class_start, previous_atom, range_open = True, True, False, False
            out.append(char)
        elif char == "{":
            quantifier = _QUANTIFIER.match(pattern, index)
            if quantifier:
                out.append(quantifier.group(0))
                index = quantifier.end()
                continue
            out.append("\\{")
        elif char in "}]":
            out.append("\\" + char)
        else:
            out.append(char)
        index += 1
    if in_class:
        return None
    converted = "".join(out)
    anchored = converted.startswith("^") and converted.endswith("$") and not converted.endswith("\\$")
    return converted if anchored else f".*(?:{converted}).*"


# --- in words ---------------------------------------------------------------------------------------

#: Kinds of characters a pattern's classes are described with, in the order they are named.
_CATEGORIES = ("lower", "upper", "digit", "dash", "underscore", "dot", "space")
_PLURALS = {
    "lower": "lowercase letters",
    "upper": "uppercase letters",
    "letter": "letters",
    "digit": "digits",
    "dash": "dashes",
    "underscore": "underscores",
    "dot": "dots",
    "space": "spaces",
}
_SINGULARS = {
    "lower": "a lowercase letter",
    "upper": "an uppercase letter",
    "letter": "a letter",
    "digit": "a digit",
    "dash": "a dash",
    "underscore": "an underscore",
    "dot": "a dot",
    "space": "a space",
}
_SINGLE_CHARACTERS = {"-": "dash", "_": "underscore", ".": "dot", " ": "space"}
_RANGES = {("a", "z"): "lower", ("A", "Z"): "upper", ("0", "9"): "digit"}
_CLASS_ESCAPES = {
    "d": frozenset({"digit"}),
    "w": frozenset({"lower", "upper", "digit", "underscore"}),
    "-": frozenset({"dash"}),
    "_": frozenset({"underscore"}),
    ".": frozenset({"dot"}),
}
_BRACES = re.compile(r"\{(\d+)(,(\d*))?\}")
#: Words that say what a value must look like (a help or description with none of them explains a purpose).
_FORMAT_WORDS = re.compile(
    r"\b(letters?|digits?|numbers?|characters?|lower-?case|upper-?case|capitals?|alphanumeric|dash(es)?|"
    r"hyphens?|underscores?|dots?|periods?|spaces?|format|starting|ending|starts|ends|begins?)\b|"
    r"\be\.g\.|\bfor example\b|\bsuch as\b",
    re.IGNORECASE,
)

_Atom = tuple[frozenset[str], int, int | None]


def _class(body: str, start: int) -> tuple[frozenset[str], int] | None:
    """The kinds of characters of the class opening at ``start``, and where it ends (None: not describable)."""
    index, found = start + 1, set[str]()
    if body[index : index + 1] == "^":
        return None
    while index < len(body) and body[index] != "]":
        char = body[index]
        if char == "\\":
            escaped = _CLASS_ESCAPES.get(body[index + 1 : index + 2])
            if escaped is None:
                return None
            found |= escaped
            index += 2
        elif body[index + 1 : index + 2] == "-" and body[index + 2 : index + 3] not in ("", "]"):
            category = _RANGES.get((char, body[index + 2]))
            if category is None:
                return None
            found.add(category)
            index += 3
        elif char in _SINGLE_CHARACTERS:
            found.add(_SINGLE_CHARACTERS[char])
            index += 1
        else:
            return None
    if index >= len(body) or not found:
        return None
    return frozenset(found), index + 1


def _quantifier(body: str, index: int) -> tuple[int, int | None, int] | None:
    """``(least, most, end)`` of the quantifier at ``index`` (one exactly when there is none)."""
    char = body[index : index + 1]
    if char in ("+", "*", "?"):
        least, most, index = {"+": (1, None), "*": (0, None), "?": (0, 1)}[char] + (index + 1,)
    elif char == "{":
        braces = _BRACES.match(body, index)
        if braces is None:
            return None
        least = int(braces.group(1))
        most = least if braces.group(2) is None else (int(braces.group(3)) if braces.group(3) else None)
        index = braces.end()
    else:
        return 1, 1, index
    if body[index : index + 1] in ("?", "+"):  # lazy or possessive: the same characters, another engine
        index += 1
    return least, most, index


def _atoms(pattern: str) -> list[_Atom] | None:
    """A pattern anchored at both ends made only of quantified classes, as ``(kinds, least, most)``."""
    if len(pattern) < 2 or not pattern.startswith("^") or not pattern.endswith("$") or pattern.endswith("\\$"):
        return None
    body, index, atoms = pattern[1:-1], 0, list[_Atom]()
    while index < len(body):
        if body[index] == "[":
            parsed = _class(body, index)
        elif body[index] == "\\" and body[index + 1 : index + 2] in ("d", "w"):
            parsed = (_CLASS_ESCAPES[body[index + 1]], index + 2)
        else:
            return None
        if parsed is None:
            return None
        kinds, index = parsed
        counted = _quantifier(body, index)
        if counted is None:
            return None
        least, most, index = counted
        if atoms and atoms[-1][0] == kinds:  # [a-z][a-z]+ is [a-z]{2,}
            before = atoms.pop()
            least, most = before[1] + least, None if before[2] is None or most is None else before[2] + most
        atoms.append((kinds, least, most))
    return atoms or None


def _words(kinds: frozenset[str], names: dict[str, str], one_case: bool, joiner: str) -> str:
    """``kinds`` named with ``names``, joined by ``joiner``; ``one_case``: the letters allowed are of one case
    only (said once already), so a letter of that case is just "a letter"."""
    ordered = [kind for kind in _CATEGORIES if kind in kinds]
    if "lower" in kinds and "upper" in kinds:
        ordered = ["letter", *(kind for kind in ordered if kind not in ("lower", "upper"))]
    elif one_case:
        ordered = ["letter" if kind in ("lower", "upper") else kind for kind in ordered]
    words = [names[kind] for kind in ordered]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {joiner} {words[-1]}"


def _length(least: int, most: int | None) -> str:
    if most is None:
        return f"at least {least}" if least > 1 else ""
    if least == most:
        return str(least)
    return f"{least}\N{EN DASH}{most}" if least > 1 else f"at most {most}"


def _integer(schema: dict, key: str) -> int | None:
    value = schema.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def describe_pattern(pattern: Any, schema: dict | None = None) -> str | None:
    """A pattern in words for its common shapes (a quantified class, maybe with a first and a last one
    narrower than it), with ``minLength`` and ``maxLength`` of ``schema``: ``^[a-z][a-z0-9-]{1,38}[a-z0-9]$``
    is 3 to 40 characters, "lowercase letters, digits and dashes, starting with a letter and ending with a
    letter or a digit". None when the pattern says more than that."""
    atoms = _atoms(pattern) if isinstance(pattern, str) else None
    if atoms is None or len(atoms) > 3:
        return None
    first = last = None
    if len(atoms) > 1 and atoms[0][1:] == (1, 1) and atoms[0][0] < atoms[1][0]:
        first = atoms[0][0]
    if len(atoms) > 1 and atoms[-1][1:] == (1, 1) and atoms[-1][0] < atoms[-2][0]:
        last = atoms[-1][0]
    middle = atoms[1 if first else 0 : len(atoms) - 1 if last else len(atoms)]
    if len(middle) != 1:
        return None
    kinds = middle[0][0]
    least = sum(atom[1] for atom in atoms)
    most = None if any(atom[2] is None for atom in atoms) else sum(atom[2] or 0 for atom in atoms)
    schema = schema or {}
    if (minimum := _integer(schema, "minLength")) is not None:
        least = max(least, minimum)
    if (maximum := _integer(schema, "maxLength")) is not None:
        most = maximum if most is None else min(most, maximum)
    one_case = not {"lower", "upper"} <= kinds
    characters = _words(kinds, _PLURALS, False, "and")
    ends = [
        f"{verb} {_words(part, _SINGULARS, one_case, 'or')}"
        for verb, part in (("starting with", first), ("ending with", last))
        if part
    ]
    length = _length(least, most)
    one = most == 1
    if not ends and len(kinds) == 1 and length:
        noun = _SINGULARS[next(iter(kinds))].split(" ", 1)[1] if one else characters
        return f"Use {length} {noun}."
    noun = "character" if one else "characters"
    text = f"Use {length} {noun}: {characters}" if length else f"Use only {characters}"
    return text + (", " + " and ".join(ends) if ends else "") + "."


def _example(schema: dict, pattern: str) -> str | None:
    """The first of ``ui:placeholder``, ``examples`` and ``default`` that is a text matching the pattern."""
    given = schema.get("examples")
    examples: list[Any] = given if isinstance(given, list) else []
    for candidate in (schema.get("ui:placeholder"), *examples, schema.get("default")):
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        try:
            if re.search(pattern, candidate):
                return candidate
        except re.error:
            return None
    return None


def as_sentence(text: str) -> str:
    """A help or description as a message: one line, ending with a full stop."""
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def pattern_message(schema: dict) -> str:
    """What a value of this field must look like, for people: never the regular expression itself.

    The field's ``ui:help``, else its ``description``, when it speaks of the format; else the pattern in
    words (:func:`describe_pattern`); else "Use the expected format" with an example from the field when
    it gives one that fits.
    """
    for key in ("ui:help", "description"):
        text = schema.get(key)
        if isinstance(text, str) and _FORMAT_WORDS.search(text):
            return as_sentence(text)
    pattern = schema.get("pattern")
    described = describe_pattern(pattern, schema)
    if described:
        return described
    example = _example(schema, pattern) if isinstance(pattern, str) else None
    return f"Use the expected format (for example: {example})." if example else "Use the expected format."
