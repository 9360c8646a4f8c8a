"""JSON Schema ``pattern``s as HTML ``pattern`` attributes, which browsers compile with JavaScript's ``v`` flag."""

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
