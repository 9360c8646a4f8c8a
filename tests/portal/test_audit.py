"""The audit trail: what registered models' writes and sign-in events record, and that it is append-only."""

import copy
import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from portal import audit, tokens
from portal.models import AuditEntry
from portal.models.audit import ImmutableError
from tests.conftest import PASSWORD

NEW_PASSWORD = "an-entirely-new-passphrase"


@pytest.fixture
def fresh_rate_limits(settings):
    """A cache namespace of the test's own for allauth's sign-in rate limits (Redis is shared)."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"{caches['default'].get('KEY_PREFIX', '')}:test-audit:{uuid.uuid4().hex}"
    settings.CACHES = caches


def _entries(action, **lookups):
    return list(AuditEntry.objects.filter(action=action, **lookups).order_by("id"))


def _stored(entry):
    return AuditEntry.objects.filter(pk=entry.pk).values().get()


# --- create, update, delete of registered models -------------------------------------------------


def test_creating_a_registered_model_records_its_values_with_the_secret_redacted(db):
    account = get_user_model().objects.create_user(
        username="new@example.com", email="new@example.com", password=PASSWORD
    )

    [entry] = _entries("create", object_type="auth.user")
    changes = dict(entry.changes)
    assert changes.pop("date_joined") == [None, account.date_joined.isoformat()]
    assert changes == {
        "id": [None, account.pk],
        "password": [None, "[redacted]"],
        "is_superuser": [None, False],
        "username": [None, "new@example.com"],
        "email": [None, "new@example.com"],
        "is_staff": [None, False],
        "is_active": [None, True],
    }
    assert (entry.object_id, entry.object_label, entry.actor_id, entry.actor_label) == (
        str(account.pk),
        "new@example.com",
        None,
        "",
    )
    assert account.password not in json.dumps(entry.changes)


def test_updating_records_the_changed_fields_before_and_after(user):
    user.first_name = "Dora"
    user.save()

    [entry] = _entries("update")
    assert (entry.object_type, entry.object_id, entry.changes) == (
        "auth.user",
        str(user.pk),
        {"first_name": ["Dana", "Dora"]},
    )


def test_a_password_change_is_recorded_without_either_password(user):
    old_hash = user.password

    user.set_password(NEW_PASSWORD)
    user.save()

    [entry] = _entries("update")
    assert entry.changes == {"password": ["[redacted]", "[redacted]"]}
    assert old_hash not in json.dumps(entry.changes)
    assert user.password not in json.dumps(entry.changes)


def test_saving_without_a_change_records_nothing(user):
    before = AuditEntry.objects.count()

    user.save()

    assert AuditEntry.objects.count() == before


def test_a_change_of_an_excluded_field_records_nothing(user):
    before = AuditEntry.objects.count()

    user.last_login = user.date_joined
    user.save()

    assert AuditEntry.objects.count() == before


def test_update_fields_limit_the_recorded_changes_to_what_was_written(user):
    user.first_name = "Not saved"
    user.last_name = "Saved"

    user.save(update_fields=["last_name"])

    [entry] = _entries("update")
    assert entry.changes == {"last_name": ["Developer", "Saved"]}


def test_deleting_records_the_last_values_with_the_secret_redacted(user):
    issued = tokens.create_token(user, name="CI pipeline", read_only=True)
    token_id = issued.token.pk

    issued.token.delete()

    [created] = _entries("create", object_type="portal.apitoken")
    [deleted] = _entries("delete", object_type="portal.apitoken")
    assert created.changes["digest"] == [None, "[redacted]"]
    assert (deleted.object_id, deleted.object_label) == (str(token_id), f"CI pipeline (atr_{issued.token.key_id}_…)")
    assert deleted.changes["digest"] == ["[redacted]", None]
    assert deleted.changes["name"] == ["CI pipeline", None]
    assert deleted.changes["read_only"] == [True, None]
    assert "last_used" not in deleted.changes
    assert issued.plaintext.split("_", 2)[2] not in json.dumps(created.changes | deleted.changes)


def test_deleting_a_user_keeps_their_audit_trail_and_records_the_deletion(user, staff_user):
    audit.record("login", user, user=user)
    user_id = user.pk

    with audit.actor_context(user=staff_user):
        user.delete()

    [login] = _entries("login")
    [deleted] = _entries("delete", object_type="auth.user")
    assert (login.actor_id, login.actor_label) == (user_id, "dev@example.com")
    assert (deleted.object_id, deleted.actor_id, deleted.changes["email"]) == (
        str(user_id),
        staff_user.pk,
        ["dev@example.com", None],
    )
    assert deleted.changes["password"] == ["[redacted]", None]


# --- the actor --------------------------------------------------------------------------------


def test_actor_context_names_the_actor_of_changes_made_outside_a_request(user, staff_user):
    with audit.actor_context(user=staff_user, ip="10.1.2.3", request_id="task-42"):
        user.first_name = "Dora"
        user.save()

    [entry] = _entries("update")
    assert (entry.actor_id, entry.actor_label, entry.ip, entry.request_id) == (
        staff_user.pk,
        "admin@example.com",
        "10.1.2.3",
        "task-42",
    )


def test_actor_context_with_a_request_names_the_user_authenticated_later_in_it(user, other_user):
    request = RequestFactory().get("/api/portal/me")
    request.user = AnonymousUser()

    with audit.actor_context(request=request, request_id="api-1"):
        request.user = user  # as DRF does once a bearer token is authenticated
        other_user.first_name = "Olga"
        other_user.save()

    [entry] = _entries("update")
    assert (entry.actor_id, entry.actor_label, entry.request_id) == (user.pk, "dev@example.com", "api-1")


def test_a_change_made_through_a_web_request_names_the_signed_in_user(signed_in, user):
    response = signed_in.post(
        "/profile/tokens/",
        {"name": "Laptop", "access": "read", "expires_in_days": "30"},
        headers={"X-Request-ID": "req-audit-1"},
    )

    assert response.status_code == 200
    [entry] = _entries("create", object_type="portal.apitoken")
    assert (entry.actor_id, entry.actor_label, entry.ip, entry.request_id) == (
        user.pk,
        "dev@example.com",
        "127.0.0.1",
        "req-audit-1",
    )
    assert entry.changes["name"] == [None, "Laptop"]


# --- sign-in events ---------------------------------------------------------------------------


def test_signing_in_through_allauth_records_a_login(client, user, fresh_rate_limits):
    response = client.post(
        "/accounts/login/",
        {"login": "dev@example.com", "password": PASSWORD},
        headers={"X-Request-ID": "req-login-1"},
    )

    assert response.status_code == 302
    [entry] = _entries("login")
    assert (entry.object_type, entry.object_id, entry.object_label) == ("auth.user", str(user.pk), "dev@example.com")
    assert (entry.actor_id, entry.actor_label, entry.ip, entry.request_id) == (
        user.pk,
        "dev@example.com",
        "127.0.0.1",
        "req-login-1",
    )
    assert _entries("update") == []  # last_login is excluded


def test_a_failed_sign_in_records_the_address_tried_and_never_the_password(client, user, fresh_rate_limits):
    response = client.post("/accounts/login/", {"login": "dev@example.com", "password": "a-wrong-guess-123"})

    assert response.status_code == 200
    assert client.session.get("_auth_user_id") is None
    [entry] = _entries("login_failed")
    assert (entry.object_type, entry.object_id, entry.object_label) == ("auth.user", "", "dev@example.com")
    assert (entry.actor_id, entry.actor_label, entry.ip, entry.changes) == (None, "", "127.0.0.1", {})
    assert "a-wrong-guess-123" not in json.dumps(_stored(entry), default=str)
    assert _entries("login") == []


def test_signing_out_records_a_logout(client, user, fresh_rate_limits):
    client.post("/accounts/login/", {"login": "dev@example.com", "password": PASSWORD})

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") is None
    [entry] = _entries("logout")
    assert (entry.object_id, entry.actor_id, entry.actor_label) == (str(user.pk), user.pk, "dev@example.com")


# --- append-only ------------------------------------------------------------------------------


@pytest.fixture
def entry(db):
    audit.record("login_failed", label="someone@example.com", object_type="auth.user")
    return AuditEntry.objects.get()


def _change_label(entry):
    entry.object_label = "tampered"
    entry.save()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_change_label, id="model save"),
        pytest.param(lambda entry: entry.delete(), id="model delete"),
        pytest.param(lambda entry: AuditEntry.objects.filter(pk=entry.pk).update(object_label="x"), id="update"),
        pytest.param(lambda entry: AuditEntry.objects.filter(pk=entry.pk).delete(), id="queryset delete"),
        pytest.param(lambda entry: AuditEntry.objects.all()._raw_delete("default"), id="raw delete"),
        pytest.param(lambda entry: AuditEntry._base_manager.filter(pk=entry.pk).update(object_label="x"), id="base"),
        pytest.param(lambda entry: AuditEntry._base_manager.all().delete(), id="base manager delete"),
        pytest.param(lambda entry: AuditEntry.objects.bulk_update([entry], ["object_label"]), id="bulk update"),
        pytest.param(
            lambda entry: AuditEntry.objects.update_or_create(pk=entry.pk, defaults={"object_label": "x"}),
            id="update_or_create",
        ),
    ],
)
def test_an_audit_entry_cannot_be_changed_or_removed_through_the_orm(entry, tamper):
    before = _stored(entry)

    with pytest.raises(ImmutableError), transaction.atomic():
        tamper(entry)

    assert _stored(entry) == before
    assert AuditEntry.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_the_database_refuses_raw_sql_updates_and_deletes_of_audit_entries(entry):
    before = _stored(entry)
    table = AuditEntry._meta.db_table

    for statement in (f"UPDATE {table} SET object_label = 'tampered'", f"DELETE FROM {table}"):  # noqa: S608
        with (
            pytest.raises(DatabaseError, match=r"portal_auditentry is append-only: (UPDATE|DELETE) refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)

    assert _stored(entry) == before
    assert AuditEntry.objects.count() == 1
