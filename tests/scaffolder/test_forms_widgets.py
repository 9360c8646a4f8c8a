"""Every widget of the form as exact HTML: attributes the browser checks, labels, description, help, and
errors next to their field. A secret's input never carries its value."""

from __future__ import annotations

from scaffolder.forms.fields import FormContext, autofocus, build
from scaffolder.forms.schema import validate
from scaffolder.forms.widgets import render_fields


def render(properties: dict, values: dict | None = None, errors: dict | None = None, *, required=()) -> str:
    page = {"properties": properties, "required": list(required)}
    fields = build(page, values or {}, errors or {}, FormContext(None))
    autofocus(fields)
    return str(render_fields(fields))


def test_text_field_with_every_constraint_help_and_autofocus():
    html = render(
        {
            "name": {
                "title": "Name",
                "type": "string",
                "description": "The component's name.",
                "pattern": "^[a-z][a-z0-9-]{1,38}[a-z0-9]$",
                "minLength": 3,
                "maxLength": 40,
                "ui:autofocus": True,
                "ui:help": "Lowercase letters, digits and dashes.",
                "ui:placeholder": "orders-api",
            }
        },
        {"name": "orders"},
        required=["name"],
    )

    assert html == (
        '<div class="field" data-field="name">\n'
        '<label for="f-name">Name<span class="required-mark" aria-hidden="true">*</span></label>\n'
        '<p class="help field-description" id="f-name-description">The component&#x27;s name.</p>\n'
        '<input type="text" id="f-name" name="name" value="orders" required pattern="^[a-z][a-z0-9\\-]{1,38}[a-z0-9]$"'
        ' title="Lowercase letters, digits and dashes." minlength="3" maxlength="40" placeholder="orders-api"'
        ' aria-describedby="f-name-description f-name-help" autofocus>\n'
        '<p class="help" id="f-name-help">Lowercase letters, digits and dashes.</p>\n'
        "</div>"
    )


def test_errors_sit_under_their_field_and_take_the_focus():
    html = render(
        {"name": {"type": "string", "ui:autofocus": True}, "team": {"title": "Team", "type": "string"}},
        {"team": "x"},
        {"team": ["Enter at least 3 characters."]},
    )

    assert (
        '<div class="field has-error" data-field="team">\n'
        '<label for="f-team">Team</label>\n'
        '<input type="text" id="f-team" name="team" value="x" aria-describedby="f-team-errors" aria-invalid="true"'
        " autofocus>\n"
        '<ul class="errorlist" id="f-team-errors"><li>Enter at least 3 characters.</li></ul>\n'
        "</div>"
    ) in html
    assert '<input type="text" id="f-name" name="name">' in html


def test_a_help_that_is_the_error_of_its_field_is_said_once_as_the_error():
    name = {
        "title": "Name",
        "type": "string",
        "description": "The component's name.",
        "pattern": "^[a-z]+$",
        "ui:help": "Lowercase letters only",
    }

    html = render({"name": name}, {"name": "Bad"}, validate({"properties": {"name": name}}, {"name": "Bad"}))

    assert html == (
        '<div class="field has-error" data-field="name">\n'
        '<label for="f-name">Name</label>\n'
        '<p class="help field-description" id="f-name-description">The component&#x27;s name.</p>\n'
        '<input type="text" id="f-name" name="name" value="Bad" pattern="^[a-z]+$" title="Lowercase letters only."'
        ' aria-describedby="f-name-description f-name-errors" aria-invalid="true" autofocus>\n'
        '<ul class="errorlist" id="f-name-errors"><li>Lowercase letters only.</li></ul>\n'
        "</div>"
    )
    assert '<p class="help" id="f-name-help">Lowercase letters only</p>' in render({"name": name}, {"name": "ok"})


def test_a_description_that_is_the_error_of_its_field_is_said_once_as_the_error():
    version = {"title": "Version", "type": "string", "pattern": "^v[0-9]+$", "description": "A version such as v2."}

    html = render(
        {"version": version}, {"version": "2"}, validate({"properties": {"version": version}}, {"version": "2"})
    )

    assert html.count("A version such as v2.") == 2  # the error, and the title of the input (not shown)
    assert 'title="A version such as v2."' in html
    assert '<ul class="errorlist" id="f-version-errors"><li>A version such as v2.</li></ul>' in html


def test_textarea_with_rows_and_format_inputs():
    html = render(
        {
            "summary": {"title": "Summary", "type": "string", "ui:widget": "textarea", "ui:options": {"rows": 3}},
            "contact": {"title": "Contact", "type": "string", "format": "email"},
            "site": {"type": "string", "format": "uri"},
            "day": {"type": "string", "format": "date"},
        },
        {"summary": "Line one\nline <two>"},
    )

    assert '<textarea id="f-summary" name="summary" rows="3">\nLine one\nline &lt;two&gt;</textarea>' in html
    assert '<input type="email" id="f-contact" name="contact">' in html
    assert '<input type="url" id="f-site" name="site">' in html
    assert '<input type="date" id="f-day" name="day">' in html


def test_numbers_and_integers():
    html = render(
        {
            "count": {"title": "Replicas", "type": "integer", "minimum": 1, "maximum": 9},
            "ratio": {"title": "Ratio", "type": "number", "multipleOf": 0.5},
            "free": {"type": "number"},
        },
        {"count": 2, "ratio": 1.5},
        required=["count"],
    )

    assert '<input type="number" id="f-count" name="count" value="2" required min="1" max="9" step="1">' in html
    assert '<input type="number" id="f-ratio" name="ratio" value="1.5" step="0.5">' in html
    assert '<input type="number" id="f-free" name="free" step="any">' in html


def test_boolean_is_a_checkbox_with_its_label_after_it():
    html = render(
        {"public": {"title": "Public", "type": "boolean", "ui:help": "Anyone may read it."}}, {"public": True}
    )

    assert html == (
        '<div class="field field-boolean" data-field="public">\n'
        '<div class="check"><input type="checkbox" id="f-public" name="public" value="true" checked'
        ' aria-describedby="f-public-help"><label for="f-public">Public</label></div>\n'
        '<p class="help" id="f-public-help">Anyone may read it.</p>\n'
        "</div>"
    )
    assert "checked" not in render({"public": {"type": "boolean"}}, {"public": False})


def test_enum_is_a_select_labelled_by_enum_names():
    required = render(
        {"lifecycle": {"title": "Lifecycle", "enum": ["experimental", "production"], "enumNames": ["Try", "Prod"]}},
        {"lifecycle": "production"},
        required=["lifecycle"],
    )
    optional = render({"size": {"type": "integer", "enum": [1, 2]}})

    assert (
        '<select id="f-lifecycle" name="lifecycle" required>\n'
        '<option value="experimental">Try</option>\n'
        '<option value="production" selected>Prod</option>\n'
        "</select>"
    ) in required
    assert (
        '<select id="f-size" name="size">\n<option value="">(none)</option>\n'
        '<option value="1">1</option>\n<option value="2">2</option>\n</select>'
    ) in optional


def test_a_required_enum_without_value_asks_for_a_choice():
    html = render({"cloud": {"enum": ["AWS", "GCP"]}}, required=["cloud"])

    assert '<select id="f-cloud" name="cloud" required>\n<option value="">Choose…</option>' in html


def test_radio_widget():
    html = render({"size": {"title": "Size", "enum": ["s", "m"], "ui:widget": "radio"}}, {"size": "m"})

    assert html == (
        '<fieldset class="field field-choices" data-field="size">\n'
        "<legend>Size</legend>\n"
        '<div class="choices">\n'
        '<label for="f-size-0"><input type="radio" id="f-size-0" name="size" value="s"> s</label>\n'
        '<label for="f-size-1"><input type="radio" id="f-size-1" name="size" value="m" checked> m</label>\n'
        "</div>\n"
        "</fieldset>"
    )


def test_array_of_enum_strings_is_checkboxes():
    html = render(
        {
            "environments": {
                "title": "Environments",
                "type": "array",
                "items": {"type": "string", "enum": ["dev", "prod"], "enumNames": ["Development", "Production"]},
            }
        },
        {"environments": ["prod"]},
        {"environments": ["Give at least 2 values."]},
    )

    assert html == (
        '<fieldset class="field field-choices has-error" data-field="environments"'
        ' aria-describedby="f-environments-errors">\n'
        "<legend>Environments</legend>\n"
        '<div class="choices">\n'
        '<label for="f-environments-0"><input type="checkbox" id="f-environments-0" name="environments" value="dev">'
        " Development</label>\n"
        '<label for="f-environments-1"><input type="checkbox" id="f-environments-1" name="environments" value="prod"'
        " checked> Production</label>\n"
        "</div>\n"
        '<ul class="errorlist" id="f-environments-errors"><li>Give at least 2 values.</li></ul>\n'
        "</fieldset>"
    )


def test_array_of_free_strings_is_one_per_line():
    html = render({"topics": {"title": "Topics", "type": "array", "items": {"type": "string"}}}, {"topics": ["a", "b"]})

    assert (
        '<textarea id="f-topics" name="topics" rows="4" spellcheck="false" aria-describedby="f-topics-help">\n'
        "a\nb</textarea>\n"
        '<p class="help" id="f-topics-help">One value per line.</p>'
    ) in html


def test_nested_object_is_a_fieldset_of_its_fields():
    html = render(
        {
            "database": {
                "title": "Database",
                "description": "Where data lives.",
                "type": "object",
                "required": ["engine"],
                "properties": {"engine": {"title": "Engine", "type": "string"}, "size": {"type": "integer"}},
            }
        },
        {"database": {"engine": "postgres"}},
        {"database.size": ["Enter a whole number."]},
    )

    assert html.startswith(
        '<fieldset class="field-group" data-field="database">\n'
        "<legend>Database</legend>\n"
        '<p class="help field-description" id="f-database-description">Where data lives.</p>\n'
        '<div class="field" data-field="database.engine">\n'
        '<label for="f-database-engine">Engine<span class="required-mark" aria-hidden="true">*</span></label>\n'
        '<input type="text" id="f-database-engine" name="database.engine" value="postgres" required>\n'
    )
    assert '<ul class="errorlist" id="f-database-size-errors"><li>Enter a whole number.</li></ul>' in html


def test_array_of_objects_is_a_repeatable_group():
    html = render(
        {
            "services": {
                "title": "Services",
                "type": "array",
                "items": {"title": "Service", "type": "object", "properties": {"name": {"type": "string"}}},
            }
        },
        {"services": [{"name": "api"}]},
    )

    assert '<input type="text" id="f-services-0-name" name="services.0.name" value="api">' in html
    assert (
        '<button type="submit" class="button button-small button-secondary" name="action" value="remove:services:0"'
        " formnovalidate>Remove service 1</button>"
    ) in html
    assert '<input type="hidden" name="services.__count" value="1">' in html
    assert 'value="add:services" formnovalidate>Add service</button>' in html


def test_secret_and_password_fields_never_carry_their_value():
    html = render(
        {
            "token": {"title": "Token", "type": "string", "ui:field": "Secret"},
            "password": {"title": "Password", "type": "string", "ui:widget": "password"},
        },
        {"token": "s3cr3t-token-value", "password": "hunter2-password"},
        required=["token"],
    )

    assert "s3cr3t-token-value" not in html
    assert "hunter2-password" not in html
    assert (
        '<input type="password" id="f-token" name="token" autocomplete="new-password" aria-describedby="f-token-help">'
    ) in html
    assert '<p class="help" id="f-token-help">A value was given: leave empty to keep it.</p>' in html
    assert '<input type="password" id="f-password" name="password" autocomplete="new-password"' in html


def test_a_required_secret_not_given_yet_is_required_in_the_browser():
    html = render({"token": {"title": "Token", "type": "string", "ui:field": "Secret"}}, {}, required=["token"])

    assert '<input type="password" id="f-token" name="token" required autocomplete="new-password">' in html


def test_hidden_widget_and_labels_are_escaped():
    html = render(
        {"kind": {"type": "string", "ui:widget": "hidden"}, "x": {"title": "<b>Bold</b>", "type": "string"}},
        {"kind": "lib"},
    )

    assert '<input type="hidden" name="kind" value="lib">' in html
    assert '<label for="f-x">&lt;b&gt;Bold&lt;/b&gt;</label>' in html
