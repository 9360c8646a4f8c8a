"""The left navigation of the shell. Each app registers its entries in ``AppConfig.ready``.

Only capabilities that exist register an entry: a missing app simply has no entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str
    icon: str = ""
    order: int = 100
    #: One sentence for the Home page's overview of what Atrium offers.
    description: str = ""
    #: Who sees the entry; everyone signed in by default.
    visible: Callable[[object], bool] = field(default=lambda user: True)
    #: URL path prefix that marks the entry as current; defaults to the entry's URL.
    match_prefix: str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_entries: dict[str, NavEntry] = {}


def register(entry: NavEntry) -> None:
    _entries[entry.key] = entry


def entries_for(user, path: str) -> list[dict]:
    items = []
    for entry in sorted(_entries.values(), key=lambda item: (item.order, item.label)):
        if not entry.visible(user):
            continue
        url = entry.url
        prefix = entry.match_prefix or url
        current = path == url if prefix == "/" else path.startswith(prefix)
        items.append(
            {
                "key": entry.key,
                "label": entry.label,
                "url": url,
                "icon": entry.icon,
                "current": current,
                "description": entry.description,
            }
        )
    return items


@dataclass(frozen=True)
class HeaderSearch:
    """The search box of the header: where it sends the query, under which parameter."""

    url_name: str
    label: str
    placeholder: str
    param: str = "q"


_search: list[HeaderSearch] = []


def register_search(search: HeaderSearch) -> None:
    _search[:] = [search]


def header_search(request) -> dict | None:
    if not _search:
        return None
    search = _search[0]
    return {
        "url": reverse(search.url_name),
        "label": search.label,
        "placeholder": search.placeholder,
        "param": search.param,
        "value": request.GET.get(search.param, "") if request.path == reverse(search.url_name) else "",
    }
