"""Glob lists for ``copyWithoutTemplating``: minimatch-like patterns over a skeleton's relative paths.

Supported: ``*`` and ``?`` within a name (dot files included, as Backstage lists them with ``dot: true``), ``**``
for any number of folders, ``[...]`` classes (``[!...]`` negated), ``{a,b}`` alternatives, ``\\`` escapes, and
``!pattern`` to exclude what an earlier pattern included. A pattern is anchored at the skeleton's root.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_MAX_BRACE_EXPANSIONS = 256


def _expand_braces(pattern: str) -> list[str]:
    depth, start = 0, -1
    for index, char in enumerate(pattern):
        if char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                options, level, current = [], 0, ""
                for inner in pattern[start + 1 : index]:
                    if inner == "," and level == 0:
                        options.append(current)
                        current = ""
                        continue
                    level += inner == "{"
                    level -= inner == "}"
                    current += inner
                options.append(current)
                if len(options) == 1:
                    continue
                head, tail = pattern[:start], pattern[index + 1 :]
                expanded = [item for option in options for item in _expand_braces(head + option + tail)]
                return expanded[:_MAX_BRACE_EXPANSIONS]
    return [pattern]


def _segment_regex(segment: str) -> str:
    out, index = [], 0
    while index < len(segment):
        char = segment[index]
        if char == "\\" and index + 1 < len(segment):
            out.append(re.escape(segment[index + 1]))
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in segment[index + 2 :]:
            end = segment.index("]", index + 2)
            body = segment[index + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append(f"[{'^/' if negate else ''}{re.escape(body).replace(chr(92) + '-', '-')}]")
            index = end + 1
            continue
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """One brace-free glob as a regular expression over "/"-separated relative paths (``**`` spans folders)."""
    pattern = pattern.removeprefix("./").lstrip("/")
    segments = pattern.split("/")
    regex = ""
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            if last:
                regex = regex[:-1] + "(?:/.*)?" if regex else ".*"
            else:
                regex += "(?:[^/]+/)*"
        else:
            regex += _segment_regex(segment) + ("" if last else "/")
    return re.compile(regex, re.DOTALL)


class GlobSet:
    """Backstage-like glob list: ``!pattern`` excludes; folders match with or without a trailing ``/``."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.include: list[re.Pattern[str]] = []
        self.exclude: list[re.Pattern[str]] = []
        for pattern in patterns:
            if not isinstance(pattern, str) or not pattern.strip("!"):
                raise ValueError("copyWithoutTemplating takes a list of glob patterns")
            bucket = self.exclude if pattern.startswith("!") else self.include
            bucket.extend(glob_regex(item) for item in _expand_braces(pattern.removeprefix("!")))

    def matches(self, path: str, *, is_dir: bool = False) -> bool:
        candidates = (path, f"{path}/") if is_dir else (path,)

        def hit(regexes: list[re.Pattern[str]]) -> bool:
            return any(regex.fullmatch(candidate) for regex in regexes for candidate in candidates)

        return hit(self.include) and not hit(self.exclude)
