"""What every API answers alike (``portal.middleware.ApiGuardMiddleware``, ``portal.api.errors``): a NUL
character in the path or a query parameter is a 400 naming it, every error is JSON in the API's shape
(Backstage's under /api/catalog/ and /api/scaffolder/, DRF's under /api/portal/), a server error says
nothing of its cause and is logged with the request id, and the schema describes the 400s. Also the
whole numbers of /api/portal/, read by ``portal.params``."""

from __future__ import annotations

import base64

import jsonschema
import pytest
from django.db import connection

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
NUL_IN = "holds a NUL character (\\0), which no value may contain."


def backstage_error(status: int, name: str, message: str, method: str, url: str) -> dict:
    return {
        "error": {"name": name, "message": message},
        "request": {"method": method, "url": url},
        "response": {"statusCode": status},
    }


def _missing_table(table: str) -> None:
    """The database as it is when a migration was not applied: ``table`` is not there (for this test)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_not_migrated")


# --- NUL characters -------------------------------------------------------------------------------


def test_a_nul_character_in_a_portal_query_parameter_is_a_400_naming_it(signed_in):
    response = signed_in.get("/api/portal/me?unused=a%00b")

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json() == {"unused": [f"The query parameter unused {NUL_IN}"]}


def test_a_nul_character_in_a_parameter_name_is_a_400_naming_it_readably(signed_in):
    response = signed_in.get("/api/scaffolder/v2/actions?a%00b=1")

    assert response.status_code == 400
    assert response.json() == backstage_error(
        400, "InputError", f"The query parameter a\\0b {NUL_IN}", "GET", "/api/scaffolder/v2/actions?a%00b=1"
    )


def test_a_nul_character_in_any_value_of_a_repeated_parameter_is_refused(signed_in):
    response = signed_in.get("/api/catalog/entities?filter=kind=api&filter=kind=a%00&limit=1")

    assert response.status_code == 400
    assert response.json()["error"] == {"name": "InputError", "message": f"The query parameter filter {NUL_IN}"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/portal/runs/%00", {"detail": f"The path {NUL_IN}"}),
        (
            "/api/catalog/entities/by-uid/a%00",
            backstage_error(400, "InputError", f"The path {NUL_IN}", "GET", "/api/catalog/entities/by-uid/a%00"),
        ),
    ],
)
def test_a_nul_character_in_the_path_is_a_400(signed_in, path, body):
    response = signed_in.get(path)

    assert (response.status_code, response.json()) == (400, body)


# --- every error is JSON --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/catalog/no-such-endpoint",
            backstage_error(
                404,
                "NotFoundError",
                "No API endpoint at /api/catalog/no-such-endpoint.",
                "GET",
                "/api/catalog/no-such-endpoint",
            ),
        ),
        (
            "/api/scaffolder/v2/tasks/",
            backstage_error(
                404,
                "NotFoundError",
                "No API endpoint at /api/scaffolder/v2/tasks/.",
                "GET",
                "/api/scaffolder/v2/tasks/",
            ),
        ),
        ("/api/portal/runs/not-a-uuid", {"detail": "No API endpoint at /api/portal/runs/not-a-uuid."}),
    ],
)
def test_a_path_no_endpoint_has_is_a_json_404_in_the_apis_shape(signed_in, path, body):
    response = signed_in.get(path)

    assert (response.status_code, response["Content-Type"], response.json()) == (404, "application/json", body)
    assert (response["Content-Length"], response["X-Content-Type-Options"]) == (str(len(response.content)), "nosniff")


def test_a_page_outside_the_apis_keeps_its_html_404(signed_in):
    response = signed_in.get("/no-such-page")

    assert (response.status_code, response["Content-Type"]) == (404, "text/html; charset=utf-8")


def _server_error(request_id: str) -> str:
    return f"Something went wrong on the server; it was logged with request id {request_id}."


def _portal_server_error(request_id: str) -> dict:
    return {"detail": _server_error(request_id)}


def _backstage_server_error(request_id: str) -> dict:
    return backstage_error(500, "Error", _server_error(request_id), "GET", "/api/scaffolder/v2/tasks")


@pytest.mark.parametrize(
    ("table", "path", "body"),
    [
        ("portal_run", "/api/portal/runs", _portal_server_error),
        ("scaffolder_task", "/api/scaffolder/v2/tasks", _backstage_server_error),
    ],
)
def test_a_server_error_is_json_without_its_cause_and_logged_with_the_request_id(
    staff_client, log_lines, table, path, body
):
    _missing_table(table)
    staff_client.raise_request_exception = False

    response = staff_client.get(path)

    request_id = response["X-Request-ID"]
    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    assert response.json() == body(request_id)
    assert table not in response.content.decode()
    [logged] = [line for line in log_lines() if line.get("status_code") == 500]
    assert (logged["logger"], logged["request_id"], logged["event"]) == (
        "django.request",
        request_id,
        f"Internal Server Error: {path}",
    )
    assert table in logged["exception"]


# --- whole numbers of /api/portal/ ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({"limit": "ten"}, {"limit": ["limit must be a whole number, not 'ten'."]}),
        ({"limit": "0"}, {"limit": ["limit must be at least 1, not 0."]}),
        ({"limit": "9223372036854775808"}, {"limit": ["limit must be at most 9223372036854775807."]}),
        ({"offset": "-1"}, {"offset": ["offset must be at least 0, not -1."]}),
        ({"offset": "1.5"}, {"offset": ["offset must be a whole number, not '1.5'."]}),
        ({"created_by": "٣"}, {"created_by": ["created_by must be a whole number, not '٣'."]}),
        ({"created_by": "1_0"}, {"created_by": ["created_by must be a whole number, not '1_0'."]}),
    ],
)
def test_the_run_lists_whole_numbers_are_read_by_portal_params(staff_client, query, body):
    response = staff_client.get("/api/portal/runs", query)

    assert (response.status_code, response.json()) == (400, body)


def test_a_page_larger_than_allowed_is_the_largest_page(staff_client):
    response = staff_client.get("/api/portal/runs", {"limit": "100000"})

    assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({"actor": "9223372036854775808"}, {"actor": ["actor must be at most 9223372036854775807."]}),
        ({"actor": "0"}, {"actor": ["actor must be at least 1, not 0."]}),
        ({"limit": "many"}, {"limit": ["limit must be a whole number, not 'many'."]}),
    ],
)
def test_the_audit_lists_whole_numbers_are_read_by_portal_params(staff_client, query, body):
    response = staff_client.get("/api/portal/audit", query)

    assert (response.status_code, response.json()) == (400, body)


@pytest.mark.parametrize("cursor", ["p=not-a-time", "p=2026-01-01 00:00:00", "o=x", "not base64!"])
def test_an_audit_cursor_that_is_not_ours_is_a_400(staff_client, cursor):
    encoded = base64.b64encode(cursor.encode()).decode() if "=" in cursor else cursor

    response = staff_client.get("/api/portal/audit", {"cursor": encoded})

    assert (response.status_code, response.json()) == (
        400,
        {"cursor": ["Invalid cursor: use the next or previous link of a page."]},
    )


# --- the schema -----------------------------------------------------------------------------------


@pytest.fixture
def schema(signed_in) -> dict:
    return signed_in.get("/api/schema/?format=json").json()


def test_every_operation_of_the_apis_describes_its_400_in_the_apis_shape(schema):
    shapes = {}
    for path, item in schema["paths"].items():
        for method in (method for method in HTTP_METHODS if method in item):
            body = item[method]["responses"]["400"]["content"]["application/json"]["schema"]
            shapes[f"{method.upper()} {path}"] = body
    portal = {name: body for name, body in shapes.items() if " /api/portal/" in name}
    backstage = {name: body for name, body in shapes.items() if " /api/portal/" not in name}

    error = {"$ref": "#/components/schemas/ErrorResponse"}
    assert portal == {
        name: {"$ref": "#/components/schemas/PortalError"}
        for name in (
            "GET /api/portal/audit",
            "GET /api/portal/me",
            "GET /api/portal/runs",
            "GET /api/portal/runs/{id}",
            "POST /api/portal/runs/{id}/cancel",
            "GET /api/portal/runs/{id}/events",
            "POST /api/portal/runs/{id}/retry",
        )
    }
    assert {name: body for name, body in backstage.items() if body != error} == {
        "POST /api/catalog/validate-entity": {
            "oneOf": [{"$ref": "#/components/schemas/CatalogValidateEntityErrors"}, error]
        },
        "POST /api/scaffolder/v2/dry-run": {"oneOf": [{"$ref": "#/components/schemas/ValidationErrors"}, error]},
        "POST /api/scaffolder/v2/tasks": {"oneOf": [{"$ref": "#/components/schemas/ValidationErrors"}, error]},
        "POST /api/scaffolder/v2/tasks/{taskId}/retry": {
            "oneOf": [{"$ref": "#/components/schemas/ValidationErrors"}, error]
        },
    }


@pytest.mark.parametrize(
    ("method", "path", "operation", "body"),
    [
        ("get", "/api/portal/runs?kind=%00", "/api/portal/runs", None),
        ("get", "/api/portal/runs?limit=x", "/api/portal/runs", None),
        ("get", "/api/catalog/entity-facets?facet=%00", "/api/catalog/entity-facets", None),
        ("post", "/api/scaffolder/v2/tasks", "/api/scaffolder/v2/tasks", '{"values": {"a": "\\u0000"}}'),
        ("post", "/api/catalog/validate-entity", "/api/catalog/validate-entity", '{"entity": '),
    ],
)
def test_the_400s_answered_match_the_schema(signed_in, schema, method, path, operation, body):
    extra = {"data": body, "content_type": "application/json"} if body is not None else {}

    response = getattr(signed_in, method)(path, **extra)

    described = schema["paths"][operation][method]["responses"]["400"]["content"]["application/json"]["schema"]
    assert response.status_code == 400
    jsonschema.validate(response.json(), {**described, "components": schema["components"]})
