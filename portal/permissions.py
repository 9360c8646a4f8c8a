"""The one policy module: who may do what. Deny by default.

Views, API views and services ask :func:`can` (may this user do this, to this object?) and
:func:`visible` (which rows of this queryset may the user see?). Each rule is a function of the
user and the object, each scope a function of the user and a queryset. An action with no rule, or
no scope, is denied; so is everything for an anonymous or inactive user.

The portal's own rules are here; each app registers its rules in its ``rules.py`` (imported when
the app is ready) with :func:`rule` and :func:`scope`. This module imports no app: the apps depend
on it, not the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

if TYPE_CHECKING:  # importing DRF's views here would import this module again, through DRF's settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

#: A rule: may this (signed-in, active) user do the action to this object (or to none)?
Rule = Callable[[Any, Any], bool]
#: A scope: the rows of a queryset this (signed-in, active) user may see.
Scope = Callable[[Any, QuerySet[Any]], QuerySet[Any]]
Q = TypeVar("Q", bound=QuerySet[Any])
_rules: dict[str, Rule] = {}
_scopes: dict[str, Scope] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    def decorator(function: Rule) -> Rule:
        _rules[action] = function
        return function

    return decorator


def scope(action: str) -> Callable[[Scope], Scope]:
    """Register the queryset filter of ``action``: the rows a user may see (see :func:`visible`)."""

    def decorator(function: Scope) -> Scope:
        _scopes[action] = function
        return function

    return decorator


def signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def can(user: Any, action: str, obj: Any = None) -> bool:
    if not signed_in(user):
        return False
    check = _rules.get(action)
    return bool(check and check(user, obj))


def visible(user: Any, action: str, queryset: Q) -> Q:
    """The rows of ``queryset`` that ``user`` may see under ``action``'s scope; none without a scope."""
    if not signed_in(user):
        return queryset.none()
    narrow = _scopes.get(action)
    if narrow is None:
        return queryset.none()
    return narrow(user, queryset)  # type: ignore[return-value]  # a scope filters; it keeps the queryset's class


def is_admin(user: Any) -> bool:
    return bool(user.is_superuser or user.is_staff)


@rule("portal.view_admin")
def _view_admin(user: Any, obj: object) -> bool:
    return is_admin(user)


@rule("portal.view_audit")
def _view_audit(user: Any, obj: object) -> bool:
    return is_admin(user)


def started(user: Any, run: Any) -> bool:
    """Whether ``user`` started ``run`` (a run, or an app's subclass of it)."""
    return run is not None and run.created_by_id is not None and run.created_by_id == user.pk


@rule("portal.view_runs")
def _view_runs(user: Any, obj: object) -> bool:
    """Every run of every kind: administrators."""
    return is_admin(user)


@rule("portal.view_run")
def _view_run(user: Any, run: Any) -> bool:
    return run is not None and (is_admin(user) or started(user, run))


@scope("portal.view_run")
def _runs_visible(user: Any, runs: QuerySet[Any]) -> QuerySet[Any]:
    return runs if is_admin(user) else runs.filter(created_by=user)


@rule("portal.cancel_run")
def _cancel_run(user: Any, run: Any) -> bool:
    return run is not None and (is_admin(user) or started(user, run))


@rule("portal.retry_run")
def _retry_run(user: Any, run: Any) -> bool:
    return run is not None and (is_admin(user) or started(user, run))


@rule("portal.browse_repositories")
def _browse_repositories(user: Any, obj: object) -> bool:
    return signed_in(user)


@rule("portal.manage_token")
def _manage_token(user: Any, token: Any) -> bool:
    return token is not None and token.user_id == user.pk


READ_ONLY_MESSAGE = "A read-only API token cannot change anything."
DENIED_MESSAGE = "You are not allowed to do this."


class ApiAccess(BasePermission):
    """The one permission class of every API view (the default in ``REST_FRAMEWORK``).

    - signed in (401 otherwise), and active;
    - a read-only API token only for requests that read: the safe methods, and the methods a view
      lists in ``reading_methods`` (POST endpoints that only read, such as Backstage's by-refs);
    - the view's ``policy``, ``{method: action}``, asked of :func:`can` without an object (HEAD and
      OPTIONS need GET's action); a method missing from a view's ``policy`` is denied;
    - the view's ``object_policy``, ``{method: action}``, asked of :func:`can` with the object when
      the view calls ``check_object_permissions`` (or DRF's generic views do);
    - ``denied_message``: what a refusal says (403).

    A view whose answer depends on more than the method (a dry run that only reads) overrides
    ``reads(request)`` and ``policy_action(request)``. A method the view does not implement answers
    405 to those who may use the endpoint at all (the action of its GET, or of its one method).
    """

    message = DENIED_MESSAGE

    @staticmethod
    def _action(table: dict[str, str] | None, method: str) -> str | None:
        if table is None:
            return None
        return table.get(method) or (table.get("GET") if method in ("HEAD", "OPTIONS") else None)

    @staticmethod
    def reads(view: APIView, request: Request) -> bool:
        if hasattr(view, "reads"):
            return bool(view.reads(request))
        return request.method in SAFE_METHODS or request.method in getattr(view, "reading_methods", ())

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not signed_in(user):
            return False
        token = request.auth if hasattr(request.auth, "read_only") else None
        if token is not None and token.read_only and not self.reads(view, request):
            self.message = READ_ONLY_MESSAGE
            return False
        table = getattr(view, "policy", None)
        if table is None:
            return True
        picks = getattr(view, "policy_action", None)
        method = request.method or ""  # typed optional; set on every request a view dispatches
        if not hasattr(view, method.lower()):
            # DRF answers 405, to those who may use the endpoint at all.
            action = table.get("GET") or next(iter(table.values()), None)
        else:
            action = picks(request) if picks is not None else self._action(table, method)
        self.message = getattr(view, "denied_message", DENIED_MESSAGE)
        return action is not None and can(user, action)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        action = self._action(getattr(view, "object_policy", None), request.method or "")
        if action is None:
            return True
        self.message = getattr(view, "denied_message", DENIED_MESSAGE)
        return can(request.user, action, obj)
