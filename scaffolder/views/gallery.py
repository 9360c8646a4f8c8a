"""Create: the gallery of the templates the user may run, filterable by tag, type, owner and text.

Templates are few (tens, not thousands): they are read in one query, those the user may not run are
left out (``services.can_run``), and the filters and their counts are worked out in Python.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models.functions import Lower
from django.shortcuts import render

from catalog import services as catalog_services
from catalog.models import Entity
from scaffolder import services
from scaffolder.views.common import tabs, template_card

FILTERS = (("type", "Type"), ("owner", "Owner"), ("tag", "Tag"))


def _values(card: dict, key: str) -> list[str]:
    if key == "tag":
        return card["tags"]
    if key == "owner":
        return [card["owner"]["ref"]] if card["owner"] else []
    return [card["type"]] if card["type"] else []


def _label(card_list: list[dict], key: str, value: str) -> str:
    if key != "owner":
        return value
    return next(
        (card["owner"]["label"] for card in card_list if card["owner"] and card["owner"]["ref"] == value), value
    )


def _matches(card: dict, term: str) -> bool:
    text = " ".join([card["title"], card["name"], card["description"], *card["tags"]]).lower()
    return all(word in text for word in term.lower().split())


def _query(params: dict[str, list[str]], **changes) -> str:
    merged = {**params, **changes}
    pairs = [(key, value) for key, values in merged.items() for value in values if value]
    return "?" + urlencode(pairs) if pairs else "?"


def gallery(request):
    rows = Entity.objects.filter(kind__iexact="template", orphan=False).order_by(Lower("title"), Lower("name"), "ref")
    cards = [template_card(entity) for entity in rows if services.can_run(request.user, entity)]
    term = request.GET.get("q", "").strip()[:200]
    selected = {key: [v for v in request.GET.getlist(key) if v.strip()] for key, _ in FILTERS}
    params = {key: values for key, values in selected.items() if values}
    if term:
        params["q"] = [term]

    def passes(card: dict, without: str | None = None) -> bool:
        if term and not _matches(card, term):
            return False
        for key, values in selected.items():
            if key != without and values and not set(values) & set(_values(card, key)):
                return False
        return True

    facets = []
    for key, label in FILTERS:
        counts: dict[str, int] = {}
        for card in cards:
            if passes(card, without=key):
                for value in _values(card, key):
                    counts[value] = counts.get(value, 0) + 1
        for value in selected[key]:
            counts.setdefault(value, 0)
        options = [
            {"value": value, "label": _label(cards, key, value), "count": count, "checked": value in selected[key]}
            for value, count in sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))
        ]
        facets.append({"param": key, "label": label, "options": options})
    shown = [card for card in cards if passes(card)]
    chips = [
        {
            "label": f"{label}: {_label(cards, key, value)}",
            "url": _query(params, **{key: [other for other in selected[key] if other != value]}),
        }
        for key, label in FILTERS
        for value in selected[key]
    ]
    context = {
        "cards": shown,
        "total": len(cards),
        "unread": catalog_services.unread_locations() if not cards else 0,
        "term": term,
        "facets": facets,
        "chips": chips,
        "clear_url": _query({"q": [term]} if term else {}),
    }
    if getattr(request, "htmx", False):
        return render(request, "scaffolder/_gallery.html", context)
    return render(request, "scaffolder/gallery.html", {**context, **tabs(request, "templates")})
