"""Installed actions: every action of the registry, its input and output described property by property."""

from __future__ import annotations

import re

import pytest

from scaffolder.actions import registry
from scaffolder.actions.registry import Action, all_actions

ECHO = Action(
    id="test:echo",
    description="Writes its message back.",
    input_schema={
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"type": "string", "description": "What to write"},
            "level": {"type": "string", "enum": ["info", "warning"], "default": "info"},
            "options": {
                "type": "object",
                "title": "Options",
                "properties": {"repeat": {"type": "integer", "description": "How many times"}},
            },
            "targets": {"type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}}}},
        },
    },
    output_schema={"type": "object", "properties": {"written": {"type": ["string", "null"]}}},
    handler=lambda ctx: None,
    examples=[{"description": "Say hello", "example": "steps:\n  - action: test:echo\n"}],
)


@pytest.fixture
def echo(monkeypatch):
    monkeypatch.setitem(registry._registry, ECHO.id, ECHO)
    return ECHO


def test_every_installed_action_is_listed(signed_in):
    html = signed_in.get("/create/actions").content.decode()

    ids = re.findall(r'<h2 id="action-[a-z0-9-]+-title"><code class="action-id">([^<]+)</code></h2>', html)
    assert ids == [action.id for action in all_actions()]
    for expected in ("fetch:template", "publish:github", "catalog:register", "debug:log"):
        assert expected in ids
    assert '<a href="#action-fetch-template"><code>fetch:template</code></a>' in html


def test_an_actions_schemas_are_readable(signed_in, echo):
    html = signed_in.get("/create/actions").content.decode()

    section = html[html.index('<section class="card action" id="action-test-echo"') :].split("</section>")[0]
    rows = re.findall(
        r'<tr><td class="depth-(\d)"><code>([^<]+)</code>( <span class="badge badge-required">required</span>)?</td>\s*'
        r'<td class="schema-type">([^<]+)</td>\s*<td>(.*?)</td></tr>',
        section,
    )
    assert rows == [
        ("0", "message", ' <span class="badge badge-required">required</span>', "string", "What to write"),
        ("0", "level", "", "string: info, warning", ' <span class="muted">Default: <code>info</code></span>'),
        ("0", "options", "", "object", "Options"),
        ("1", "options.repeat", "", "integer", "How many times"),
        ("0", "targets", "", "array of object", ""),
        ("1", "targets[].path", "", "string", ""),
        ("0", "written", "", "string | null", ""),
    ]
    assert "<p>Writes its message back.</p>" in section
    assert (
        '<p class="muted">Say hello</p><pre class="code-block"><code>steps:\n  - action: test:echo\n</code></pre>'
        in section
    )
