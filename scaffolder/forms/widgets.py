"""Fields as HTML: one ``.field`` block each (label, description, control, help, errors), as the shell's forms.

The browser checks what is cheap to check (``required``, ``pattern``, ``minlength``/``maxlength``,
``min``/``max``/``step``, the input ``type``); the server checks everything again. A secret's input never
carries a value. Errors sit right under their field, linked with ``aria-describedby``.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from scaffolder import hosts as repo_hosts
from scaffolder.forms import pickers
from scaffolder.forms.fields import COUNT_SUFFIX, Field, enum_text
from scaffolder.forms.patterns import html_pattern, pattern_message
from scaffolder.forms.schema import MISSING

#: ``format`` values with an input type of their own (looked up with whatever a template's schema holds).
INPUT_FORMATS: dict[object, str] = {"email": "email", "uri": "url", "url": "url", "date": "date"}


def _lines(parts) -> SafeString:
    """Safe pieces of HTML, one a line (empty ones left out)."""
    return format_html_join("\n", "{}", ((part,) for part in parts if part))


def _attrs(attributes: dict[str, Any]) -> SafeString:
    parts = []
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(format_html(" {}", name))
        else:
            parts.append(format_html(' {}="{}"', name, value))
    return format_html_join("", "{}", ((part,) for part in parts))


def _described_by(field: Field) -> str | None:
    ids = []
    if field.description:
        ids.append(f"{field.id}-description")
    if field.help or field.secret_set:
        ids.append(f"{field.id}-help")
    if field.errors:
        ids.append(f"{field.id}-errors")
    return " ".join(ids) or None


def _common(field: Field) -> dict[str, Any]:
    return {
        "aria-describedby": _described_by(field),
        "aria-invalid": "true" if field.errors else None,
        "autofocus": field.autofocus,
    }


def _label(field: Field, target: str | None = None, tag: str = "label") -> SafeString:
    mark = format_html('<span class="required-mark" aria-hidden="true">{}</span>', "*") if field.required else ""
    if tag == "legend":
        return format_html("<legend>{}{}</legend>", field.title, mark)
    return format_html('<label for="{}">{}{}</label>', target or field.id, field.title, mark)


def _notes(field: Field) -> tuple[SafeString, SafeString]:
    """(description under the label, help and errors under the control)."""
    description = (
        format_html('<p class="help field-description" id="{}-description">{}</p>', field.id, field.description)
        if field.description
        else SafeString()
    )
    help_text = field.help
    if field.secret_set:
        help_text = (help_text + " " if help_text else "") + "A value was given: leave empty to keep it."
    below = []
    if help_text:
        below.append(format_html('<p class="help" id="{}-help">{}</p>', field.id, help_text))
    if field.errors:
        items = format_html_join("", "<li>{}</li>", ((error,) for error in field.errors))
        below.append(format_html('<ul class="errorlist" id="{}-errors">{}</ul>', field.id, items))
    return description, _lines(below)


def _wrap(field: Field, control: SafeString, *, extra_class: str = "", legend: bool = False) -> SafeString:
    description, below = _notes(field)
    classes = " ".join(part for part in ("field", extra_class, "has-error" if field.errors else "") if part)
    tag = "fieldset" if legend else "div"
    label = _label(field, tag="legend" if legend else "label")
    aria = format_html(' aria-describedby="{}"', _described_by(field)) if legend and _described_by(field) else ""
    parts = [p for p in (label, description, control, below) if p]
    return format_html(
        '<{} class="{}" data-field="{}"{}{}>\n{}\n</{}>',
        tag,
        classes,
        field.path,
        _refresh(field),
        aria,
        _lines(parts),
        tag,
    )


def _refresh(field: Field) -> str:
    return format_html(" {}", "data-refresh") if field.refresh else ""


def _text_value(field: Field) -> str | None:
    value = field.value
    if value is MISSING or value is None or field.secret:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _input(field: Field, input_type: str, **extra) -> SafeString:
    schema = field.schema
    attributes = {
        "type": input_type,
        "id": field.id,
        "name": field.path,
        "value": None if field.secret else _text_value(field),
        "required": field.required and not field.secret_set,
        **extra,
        "placeholder": schema.get("ui:placeholder") if isinstance(schema.get("ui:placeholder"), str) else None,
        **_common(field),
    }
    return format_html("<input{}>", _attrs(attributes))


def _string_constraints(schema: dict) -> dict[str, Any]:
    pattern = html_pattern(schema.get("pattern"))
    return {
        "pattern": pattern,
        "title": pattern_message(schema) if pattern else None,
        "minlength": schema.get("minLength") if isinstance(schema.get("minLength"), int) else None,
        "maxlength": schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None,
    }


def _number_constraints(field: Field) -> dict[str, Any]:
    schema = field.schema

    def number(key):
        value = schema.get(key)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    step = number("multipleOf") or (1 if field.kind == "integer" else "any")
    return {"min": number("minimum"), "max": number("maximum"), "step": step}


def _options(choices: list[tuple[str, str]], selected: set[str]) -> SafeString:
    return format_html_join(
        "\n",
        "<option{}>{}</option>",
        ((_attrs({"value": value, "selected": value in selected}), label) for value, label in choices),
    )


def _select(field: Field, choices: list[pickers.Choice] | list[tuple[str, str]], selected: set[str]) -> SafeString:
    placeholder = "Choose…" if field.required else "(none)"
    show_empty = not field.required or not selected
    rows = [format_html("<option{}>{}</option>", _attrs({"value": ""}), placeholder)] if show_empty else []
    if choices and isinstance(choices[0], pickers.Choice):
        groups: dict[str, list[tuple[str, str]]] = {}
        for choice in choices:
            groups.setdefault(choice.group, []).append((choice.value, choice.label))
        for group, members in groups.items():
            if group:
                rows.append(format_html('<optgroup label="{}">\n{}\n</optgroup>', group, _options(members, selected)))
            else:
                rows.append(_options(members, selected))
    elif choices:  # (value, label) pairs: the first is no Choice
        rows.append(_options(cast("list[tuple[str, str]]", choices), selected))
    attributes = {"id": field.id, "name": field.path, "required": field.required, **_common(field)}
    return format_html("<select{}>\n{}\n</select>", _attrs(attributes), _lines(rows))


def _enum_choices(schema: dict) -> list[tuple[str, str]]:
    values = schema.get("enum") or []
    names = found if isinstance(found := schema.get("enumNames"), list) else []
    return [
        (enum_text(value), str(names[index]) if index < len(names) else enum_text(value))
        for index, value in enumerate(values)
    ]


def _selected(field: Field) -> set[str]:
    if field.value is MISSING or field.value is None:
        return set()
    values = field.value if isinstance(field.value, list) else [field.value]
    return {enum_text(value) for value in values}


def _checks(field: Field, input_type: str, choices: list[tuple[str, str]]) -> SafeString:
    selected = _selected(field)
    rows = []
    for index, (value, label) in enumerate(choices):
        attributes = {
            "type": input_type,
            "id": f"{field.id}-{index}",
            "name": field.path,
            "value": value,
            "checked": value in selected,
            "required": input_type == "radio" and field.required,
        }
        rows.append(
            format_html('<label for="{}"><input{}> {}</label>', f"{field.id}-{index}", _attrs(attributes), label)
        )
    return format_html('<div class="choices">\n{}\n</div>', _lines(rows))


def _checkbox(field: Field) -> SafeString:
    attributes = {
        "type": "checkbox",
        "id": field.id,
        "name": field.path,
        "value": "true",
        "checked": field.value is True,
        **_common(field),
    }
    control = format_html('<div class="check"><input{}>{}</div>', _attrs(attributes), _label(field))
    description, below = _notes(field)
    classes = "field field-boolean" + (" has-error" if field.errors else "")
    parts = [p for p in (control, description, below) if p]
    return format_html(
        '<div class="{}" data-field="{}"{}>\n{}\n</div>',
        classes,
        field.path,
        _refresh(field),
        _lines(parts),
    )


def _textarea(field: Field, text: str | None, **extra) -> SafeString:
    rows = field.options.get("rows") if isinstance(field.options.get("rows"), int) else 4
    attributes = {
        "id": field.id,
        "name": field.path,
        "rows": rows,
        "required": field.required,
        **extra,
        "placeholder": field.schema.get("ui:placeholder")
        if isinstance(field.schema.get("ui:placeholder"), str)
        else None,
        **_common(field),
    }
    return format_html("<textarea{}>\n{}</textarea>", _attrs(attributes), text or "")


def _entity(field: Field) -> SafeString:
    value = field.value if isinstance(field.value, str) else ""
    if not pickers.allows_arbitrary(field.kind, field.options):
        return _wrap(field, _select(field, field.choices, {value} if value else set()))
    listing = f"{field.id}-choices"
    control = _input(field, "text", list=listing, autocomplete="off", spellcheck="false")
    datalist = format_html(
        '<datalist id="{}">\n{}\n</datalist>',
        listing,
        format_html_join("\n", '<option value="{}">{}</option>', ((c.value, c.label) for c in field.choices)),
    )
    return _wrap(field, format_html("{}\n{}", control, datalist))


def _repo(field: Field) -> SafeString:
    parts = pickers.split_repo_url(field.value)
    options = field.options
    offered = repo_hosts.offered(options)
    names = [item.name for item in offered]
    host = parts["host"] if parts["host"] in names else names[0]
    rows = []
    host_select = format_html(
        '<select id="{}-host" name="{}.host" required>\n{}\n</select>',
        field.id,
        field.path,
        _options([(item.name, item.label) for item in offered], {host}),
    )
    rows.append(format_html('<div class="field"><label for="{}-host">Host</label>{}</div>', field.id, host_select))
    missing = [item.name for item in offered if not item.configured]
    if missing:
        rows.append(
            format_html(
                '<p class="help field-warning">Atrium is not connected to {}: a task will fail when it publishes '
                "there, until an administrator connects it (for GitHub: GITHUB_TOKEN).</p>",
                ", ".join(missing),
            )
        )
    for key, label, listed_key, pattern in (
        ("owner", "Owner", "allowedOwners", pickers.OWNER_HTML_PATTERN),
        ("repo", "Repository", "allowedRepos", pickers.REPO_HTML_PATTERN),
    ):
        allowed = pickers.listed(options, listed_key)
        common = {"id": f"{field.id}-{key}", "name": f"{field.path}.{key}", "required": field.required}
        if allowed:
            empty = format_html("<option{}>{}</option>", _attrs({"value": ""}), "Choose…")
            control = format_html(
                "<select{}>\n{}\n{}\n</select>",
                _attrs(common),
                empty,
                _options([(item, item) for item in allowed], {parts[key]}),
            )
        else:
            attributes = {
                "type": "text",
                **common,
                "value": parts[key] or None,
                "pattern": pattern,
                "autocomplete": "off",
                "spellcheck": "false",
            }
            control = format_html("<input{}>", _attrs(attributes))
        rows.append(
            format_html('<div class="field"><label for="{}-{}">{}</label>{}</div>', field.id, key, label, control)
        )
    return _wrap(
        field,
        format_html('<div class="repo-parts">\n{}\n</div>', _lines(rows)),
        extra_class="field-repo",
        legend=True,
    )


def _group(field: Field) -> SafeString:
    description, below = _notes(field)
    inner = [render_fields(field.children)]
    classes = "field-group" + (" has-error" if field.errors else "")
    parts = [p for p in (_label(field, tag="legend"), description, *inner, below) if p]
    return format_html('<fieldset class="{}" data-field="{}">\n{}\n</fieldset>', classes, field.path, _lines(parts))


def _array(field: Field) -> SafeString:
    item_title = field.schema.get("items", {}).get("title") or "Item"
    description, below = _notes(field)
    rows = [_label(field, tag="legend")]
    if description:
        rows.append(description)
    for index, children in enumerate(field.items):
        remove = format_html(
            '<button type="submit" class="button button-small button-secondary" name="action" value="remove:{}:{}" '
            "formnovalidate>Remove {} {}</button>",
            field.path,
            index,
            item_title.lower(),
            index + 1,
        )
        rows.append(
            format_html(
                '<fieldset class="field-item">\n<legend>{} {}</legend>\n{}\n{}\n</fieldset>',
                item_title,
                index + 1,
                render_fields(children),
                remove,
            )
        )
    rows.append(format_html('<input type="hidden" name="{}{}" value="{}">', field.path, COUNT_SUFFIX, len(field.items)))
    rows.append(
        format_html(
            '<button type="submit" class="button button-small" name="action" value="add:{}" formnovalidate>'
            "Add {}</button>",
            field.path,
            item_title.lower(),
        )
    )
    if below:
        rows.append(below)
    classes = "field-group field-array" + (" has-error" if field.errors else "")
    return format_html('<fieldset class="{}" data-field="{}">\n{}\n</fieldset>', classes, field.path, _lines(rows))


def render_field(field: Field) -> SafeString:
    schema, kind = field.schema, field.kind
    if kind in ("secret", "password") or field.secret:
        return _wrap(field, _input(field, "password", autocomplete="new-password"))
    if kind == "hidden":
        return format_html("<input{}>", _attrs({"type": "hidden", "name": field.path, "value": _text_value(field)}))
    if kind == "checkbox":
        return _checkbox(field)
    if kind == "select":
        return _wrap(field, _select(field, _enum_choices(schema), _selected(field)))
    if kind == "radio":
        return _wrap(field, _checks(field, "radio", _enum_choices(schema)), extra_class="field-choices", legend=True)
    if kind == "checkboxes":
        choices = _enum_choices(schema.get("items") or {})
        return _wrap(field, _checks(field, "checkbox", choices), extra_class="field-choices", legend=True)
    if kind == "lines":
        lines = field.value if isinstance(field.value, list) else []
        field.schema = {**schema, "ui:help": field.help or "One value per line."}
        return _wrap(field, _textarea(field, "\n".join(str(line) for line in lines), spellcheck="false"))
    if kind in ("number", "integer"):
        return _wrap(field, _input(field, "number", **_number_constraints(field)))
    if kind == "textarea":
        return _wrap(field, _textarea(field, _text_value(field), **_string_constraints(schema)))
    if kind == "object":
        return _group(field)
    if kind == "array":
        return _array(field)
    if kind in ("owner", "entity"):
        return _entity(field)
    if kind == "repo":
        return _repo(field)
    if kind == "entity-name":
        extra = {"pattern": pickers.ENTITY_NAME_HTML_PATTERN, "maxlength": pickers.ENTITY_NAME_MAX}
        return _wrap(field, _input(field, "text", **extra, autocomplete="off", spellcheck="false"))
    input_type = INPUT_FORMATS.get(schema.get("format"), "text")
    return _wrap(field, _input(field, input_type, **_string_constraints(schema)))


def render_fields(fields: list[Field]) -> SafeString:
    return _lines([render_field(field) for field in fields])
