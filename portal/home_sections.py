"""What the Home page shows. Apps register sections; Home renders those the user may see.

A section is a template fragment and a function that builds its context from the request. The
foundation contributes "Getting started"; the catalog, golden paths and later capabilities add
theirs ("My teams", "My running tasks", …).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HomeSection:
    key: str
    template: str
    context: Callable[[object], dict | None]
    order: int = 100


_sections: dict[str, HomeSection] = {}


def register(section: HomeSection) -> None:
    _sections[section.key] = section


def sections_for(request) -> list[dict]:
    rendered = []
    for section in sorted(_sections.values(), key=lambda item: item.order):
        context = section.context(request)
        if context is None:
            continue
        rendered.append({"key": section.key, "template": section.template, "context": context})
    return rendered


def account_context(request) -> dict:
    user = request.user
    tokens = user.api_tokens.filter(revoked__isnull=True)
    return {
        "email": user.email,
        "active_tokens": sum(1 for token in tokens if not token.is_expired),
        "linked_accounts": user.socialaccount_set.count(),
    }


def capabilities_context(request) -> dict:
    from portal import navigation

    entries = [entry for entry in navigation.entries_for(request.user, "") if entry["key"] != "home"]
    return {"entries": entries}
