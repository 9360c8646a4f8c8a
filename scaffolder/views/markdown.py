"""The little Markdown of a template's ``output.text``: paragraphs, headings, lists, code blocks, and inline
``code``, **bold**, *emphasis* and [links](https://…). Everything is escaped first; links must be http(s)."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+)\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")


def _inline(text: str) -> str:
    codes: list[str] = []

    def keep(match: re.Match) -> str:
        codes.append(f"<code>{match.group(1)}</code>")
        return f"\x00{len(codes) - 1}\x00"

    html = _CODE.sub(keep, escape(text))
    html = _LINK.sub(lambda m: f'<a href="{m.group(2)}" rel="noopener">{m.group(1)}</a>', html)
    html = _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", html)
    html = _EM.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", html)
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], html)


def render(text: str) -> SafeString:
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""
    lines = (text or "").replace("\r\n", "\n").split("\n")

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""

    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip().startswith("```"):
            flush()
            code = []
            index += 1
            while index < len(lines) and not lines[index].strip().startswith("```"):
                code.append(lines[index])
                index += 1
            blocks.append(f'<pre class="code-block"><code>{escape(chr(10).join(code))}</code></pre>')
        elif not line.strip():
            flush()
        elif heading := _HEADING.match(line):
            flush()
            level = min(len(heading.group(1)) + 2, 6)
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif marker := _BULLET.match(line) or _NUMBERED.match(line):
            tag = "ul" if marker.re is _BULLET else "ol"
            if paragraph or (list_tag and list_tag != tag):
                flush()
            list_tag = tag
            items.append(_inline(marker.group(1)))
        else:
            if items:
                flush()
            paragraph.append(line.strip())
        index += 1
    flush()
    return mark_safe("\n".join(blocks))  # noqa: S308 - every piece of text is escaped above
