"""Who did what, when, to which object: the audit trail.

Apps register their domain models with :func:`register`; every create, update and delete of those
models then writes an :class:`~portal.models.AuditEntry` with the before/after values of the
changed fields. The acting user comes from the request (``AuditContextMiddleware``) or from
:func:`actor_context` in tasks and commands. Sign-in events are recorded from the auth signals.

Signals are used here, and only here (DESIGN.md rule 4), because the audit trail must not depend
on every write path remembering to call it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

REDACTED = "[redacted]"

#: Actions recorded by the run engine (``portal.runs``): someone asked to cancel or retried a run; and,
#: for the kinds it audits, how a run ended, one entry per ending, named by the run's final status
#: (succeeded, failed, cancelled).
RUN_CANCEL, RUN_RETRY = "cancel", "retry"

#: How the pages name each action (the model's choices, and the run engine's).
ACTION_LABELS: dict[str, str] = {
    "create": "Created",
    "update": "Updated",
    "delete": "Deleted",
    "login": "Signed in",
    "logout": "Signed out",
    "login_failed": "Sign-in failed",
    RUN_CANCEL: "Cancellation asked",
    RUN_RETRY: "Retried",
    "succeeded": "Ended: succeeded",
    "failed": "Ended: failed",
    "cancelled": "Ended: cancelled",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


@dataclass(frozen=True)
class ActorContext:
    user: object | None = None
    ip: str | None = None
    request_id: str | None = None
    #: When set, the actor is ``request.user`` as it is when an entry is written, so that a user
    #: authenticated later in the request (DRF token authentication) is the one recorded.
    request: object | None = None

    @property
    def actor(self):
        if self.user is None and self.request is not None:
            return getattr(self.request, "user", None)
        return self.user


_NO_ACTOR = ActorContext()
_actor: contextvars.ContextVar[ActorContext | None] = contextvars.ContextVar("audit_actor", default=None)


@dataclass(frozen=True)
class _Registration:
    exclude: frozenset[str]
    redact: frozenset[str]


_registry: dict[type[models.Model], _Registration] = {}


@contextlib.contextmanager
def actor_context(user=None, ip: str | None = None, request_id: str | None = None, *, request=None) -> Iterator[None]:
    """Attribute the audit entries written inside the block to ``user`` (or ``request.user``)."""
    token = _actor.set(ActorContext(user=user, ip=ip, request_id=request_id, request=request))
    try:
        yield
    finally:
        _actor.reset(token)


@contextlib.contextmanager
def acting_as(user: object | None) -> Iterator[None]:
    """Attribute the entries written inside the block to ``user``, or to the system when None, whoever
    the current actor is; the current request id is kept."""
    current = _actor.get() or _NO_ACTOR
    token = _actor.set(ActorContext(user=user, request_id=current.request_id))
    try:
        yield
    finally:
        _actor.reset(token)


def register(model: type[models.Model], *, exclude: Iterable[str] = (), redact: Iterable[str] = ()) -> None:
    """Audit every create/update/delete of ``model``.

    ``exclude`` fields are left out of the recorded changes (timestamps that move on every save);
    ``redact`` fields are recorded as changed without their values (secrets, digests): a change
    shows as ``["[redacted]", "[redacted]"]``.

    Only writes that send model signals are seen: ``QuerySet.update``, ``bulk_create`` and
    ``bulk_update`` bypass them, so services that use those on an audited model call
    :func:`record` themselves.
    """
    _registry[model] = _Registration(frozenset(exclude), frozenset(redact))
    uid = f"audit:{model._meta.label}"
    pre_save.connect(_remember_previous, sender=model, dispatch_uid=f"{uid}:pre", weak=False)
    post_save.connect(_record_save, sender=model, dispatch_uid=f"{uid}:post", weak=False)
    post_delete.connect(_record_delete, sender=model, dispatch_uid=f"{uid}:delete", weak=False)


def is_registered(model: type[models.Model]) -> bool:
    return model in _registry


def registered_models() -> list[type[models.Model]]:
    return list(_registry)


def _jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)


def _snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The audited fields' values, unredacted: only for comparison, never stored as they are."""
    registration = _registry[type(instance)]
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in registration.exclude:
            continue
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        values[field.name] = _jsonable(getattr(instance, field.attname))
    return values


def _redacted(instance: models.Model, name: str, value):
    if name in _registry[type(instance)].redact and value not in (None, ""):
        return REDACTED
    return value


def _remember_previous(sender, instance, raw=False, **_kwargs) -> None:
    if raw or instance.pk is None or instance._state.adding:
        instance._audit_before = None
        return
    previous = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = _snapshot(previous) if previous is not None else None


def _record_save(sender, instance, created, raw=False, update_fields=None, **_kwargs) -> None:
    if raw:
        return
    before = None if created else getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if before is None:
        after = _snapshot(instance)
        changes = {
            name: [None, _redacted(instance, name, value)]
            for name, value in after.items()
            if value not in (None, "", [], {})
        }
        action = "create"
    else:
        # With update_fields, only those columns were written: the rest of the instance may
        # hold unsaved values that must not be reported as changes.
        after = _snapshot(instance, update_fields)
        changes = {
            name: [_redacted(instance, name, before.get(name)), _redacted(instance, name, value)]
            for name, value in after.items()
            if before.get(name) != value
        }
        if not changes:
            return
        action = "update"
    record(action, instance, changes=changes)


def _record_delete(sender, instance, **_kwargs) -> None:
    before = _snapshot(instance)
    changes = {name: [_redacted(instance, name, value), None] for name, value in before.items()}
    record("delete", instance, changes=changes)


def _actor_fields(user=None) -> dict:
    context = _actor.get() or _NO_ACTOR
    user = user if user is not None else context.actor
    fields = {"ip": context.ip, "request_id": context.request_id or ""}
    if user is not None and getattr(user, "is_authenticated", False):
        fields["actor_id"] = user.pk
        fields["actor_label"] = user.get_username()
    return fields


def record(
    action: str,
    instance: models.Model | None = None,
    *,
    changes: dict | None = None,
    user=None,
    label: str = "",
    object_type: str = "",
) -> None:
    """Append one entry to the audit trail."""
    from portal.models import AuditEntry

    if instance is not None:
        object_type = instance._meta.label_lower
        label = label or str(instance)[:200]
    AuditEntry.objects.create(
        action=action,
        object_type=object_type,
        object_id=str(instance.pk) if instance is not None and instance.pk is not None else "",
        object_label=label[:200],
        changes=changes or {},
        **_actor_fields(user),
    )


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def _on_login(sender, request, user, **_kwargs) -> None:
    with actor_context(user=user, ip=_client_ip(request), request_id=getattr(request, "request_id", None)):
        record("login", user, user=user)


def _on_logout(sender, request, user, **_kwargs) -> None:
    if user is None:
        return
    with actor_context(user=user, ip=_client_ip(request), request_id=getattr(request, "request_id", None)):
        record("logout", user, user=user)


def _on_login_failed(sender, credentials, request=None, **_kwargs) -> None:
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:200]
    with actor_context(ip=_client_ip(request), request_id=getattr(request, "request_id", None)):
        record("login_failed", label=attempted, object_type="auth.user")


def connect_auth_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="audit:login")
    user_logged_out.connect(_on_logout, dispatch_uid="audit:logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="audit:login_failed")
