"""The catalog list: facets with counts, free-text search, pages of 50.

Facets are Backstage filters (``catalog.queries``): the values ticked within one facet are
alternatives, facets combine. The counts of a facet are those of the entities matching every
*other* facet (so ticking a second kind shows what it would add); the total comes from the kind
facet, which every entity has exactly once. Queries: the catalog's revision; then, unless cached for
it, the counts of the unticked fields (from columns, and from search rows for tags) and one per
facet with ticked values (each field's counts cached on their own too); one for the page.

As in Backstage, the list opens on components: a request that names no kind and filters nothing
else selects ``Component``; ``kind=all`` asks for every kind. "Owned" and "Starred" (``user``) narrow
the list to what the signed-in user's teams own, or to the entities they starred.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Lower, NullIf
from django.shortcuts import render

from catalog import facets, identity, queries, revision
from catalog.models import Entity, Star
from catalog.views.common import PAGE_SIZE, humanize, row, with_summary
from portal import params as query_params


class Facet:
    def __init__(self, param: str, key: str, label: str, default_kind: str | None = None) -> None:
        self.param, self.key, self.label, self.default_kind = param, key, label, default_kind

    def display(self, value: str) -> str:
        if self.param == "kind":
            return value[:1].upper() + value[1:] if value.islower() else value
        if self.param == "owner":
            return humanize(value, self.default_kind)
        return value


FACETS = (
    Facet("kind", "kind", "Kind"),
    Facet("type", "spec.type", "Type"),
    Facet("owner", "relations.ownedBy", "Owner", default_kind="group"),
    Facet("lifecycle", "spec.lifecycle", "Lifecycle"),
    Facet("tag", "metadata.tags", "Tag"),
    Facet("namespace", "metadata.namespace", "Namespace"),
)
#: The kind the list opens on, and the picker's value for every kind.
DEFAULT_KIND = "Component"
ALL_KINDS = "all"
#: The ``user`` filter: the entities the user's teams own, or those the user starred.
USER_FILTERS = {"owned": "Owned", "starred": "Starred"}
#: From this offset on, a page is fetched in two steps (see _page).
DEEP_OFFSET = 500
#: Values shown before "more" in a facet.
FACET_VISIBLE = 8
#: Other orders than the default one: by relevance with a search, else by kind, namespace and name
#: (``queries.order``), which the (kind, namespace, name) index serves without sorting the catalog.
SORTS: dict[str, tuple[str, list[str | Combinable]]] = {
    "name": ("Name", [Lower(Coalesce(NullIf("title", Value("")), "name")), "ref"]),
    "owner": ("Owner", ["owner_ref", Lower("name"), "ref"]),
    "updated": ("Recently changed", ["-updated", "ref"]),
}


def _selected(request, *, implied: bool) -> dict[str, list[str]]:
    """The ticked values of each facet. A kind picker's value may name several kinds, comma-separated
    (``kind=all`` none); with no kind named and nothing else asked (``implied``), components."""
    selected: dict[str, list[str]] = {}
    for facet in FACETS:
        values: list[str] = []
        for raw in request.GET.getlist(facet.param):
            for value in raw.split(",") if facet.param == "kind" else [raw]:
                value = value.strip()
                if value and "," not in value and value.lower() not in (item.lower() for item in values):
                    values.append(value)
        if values:
            selected[facet.param] = values
    if any(value.lower() == ALL_KINDS for value in selected.get("kind", [])):
        del selected["kind"]
    elif implied and "kind" not in request.GET and not selected:
        selected["kind"] = [DEFAULT_KIND]
    return selected


def _scope(request, user_filter: str) -> tuple[dict, list[str] | None]:
    """The condition of the ``user`` filter on entities, and the refs it names (None without one)."""
    if user_filter == "owned":
        refs = sorted(identity.owner_groups_of(request.user))
        return {"owner_ref__in": refs}, refs
    if user_filter == "starred":
        refs = sorted(Star.objects.filter(user=request.user).values_list("entity_ref", flat=True))
        return {"ref__in": refs}, refs
    return {}, None


def _filtered(base, selected: dict[str, list[str]], *, without: str | None = None):
    conditions = [
        f"{facet.key}={value}" for facet in FACETS if facet.param != without for value in selected.get(facet.param, [])
    ]
    if not conditions:
        return base
    return queries.apply_filters(base, queries.parse_filters([",".join(conditions)]))


def _query_string(params: dict[str, list[str]], **changes) -> str:
    merged = {key: list(values) for key, values in params.items()}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = [value] if isinstance(value, str) else list(value)
    pairs = [(key, value) for key, values in merged.items() for value in values if value != ""]
    return "?" + urlencode(pairs) if pairs else "?"


def _counts(base, term: str, selected, keys: list[str], *, number: int, scope, without: str | None = None) -> dict:
    """The counts of the fields ``keys`` among the entities the search and every selected facet but
    ``without`` leave. Each field is cached on its own, so that selections share what they have in
    common (the kind counts of the whole catalog serve every selection of kinds alone)."""
    chosen = {param: sorted({value.lower() for value in values}) for param, values in selected.items()}
    chosen.pop(without, None)
    parts = {key: {"term": term, "selected": chosen, "field": key, "scope": scope} for key in keys}
    return revision.cached_each(
        "list-facet",
        parts,
        lambda missing: facets.count(_filtered(base, selected, without=without), missing),
        number=number,
    )


def _facet_blocks(base, term: str, selected, number: int, scope) -> tuple[list[dict], int]:
    unticked = [facet.key for facet in FACETS if facet.param not in selected]
    found = _counts(base, term, selected, unticked, number=number, scope=scope) if unticked else {}
    blocks, total = [], None
    for facet in FACETS:
        if facet.param in selected:
            values = _counts(base, term, selected, [facet.key], number=number, scope=scope, without=facet.param)
            values = values[facet.key]
        else:
            values = found[facet.key]
        chosen = {value.lower() for value in selected.get(facet.param, [])}
        options = []
        for item in sorted(values, key=lambda item: (-item["count"], str(item["value"]).lower())):
            value = str(item["value"])
            options.append(
                {
                    "value": value,
                    "label": facet.display(value),
                    "count": item["count"],
                    "checked": value.lower() in chosen,
                }
            )
        present = {option["value"].lower() for option in options}
        for value in selected.get(facet.param, []):  # ticked, though nothing matches it any more
            if value.lower() not in present:
                options.append({"value": value, "label": facet.display(value), "count": 0, "checked": True})
        options.sort(key=lambda option: not option["checked"])  # ticked first, then by count
        if facet.param == "kind":
            total = sum(option["count"] for option in options if option["checked"] or facet.param not in selected)
        blocks.append(
            {
                "param": facet.param,
                "label": facet.label,
                "options": options[:FACET_VISIBLE],
                "more": options[FACET_VISIBLE:],
            }
        )
    return blocks, total or 0


def _folded(blocks: list[dict], params: dict[str, list[str]], unfolded: str) -> list[dict]:
    """The facets as shown: beyond the first values, only ticked ones, and a link that loads the
    rest (a facet can have thousands of values, owners and tags above all); ``unfolded`` (the
    ``more`` parameter) names the one facet shown whole."""
    shown = []
    for block in blocks:
        more = block["more"]
        if block["param"] == unfolded or not more:
            shown.append({**block, "unfolded": block["param"] == unfolded, "folded_count": 0})
            continue
        ticked = [option for option in more if option["checked"]]
        shown.append(
            {
                **block,
                "more": ticked,
                "folded_count": len(more) - len(ticked),
                "more_url": _query_string(params, more=block["param"]),
            }
        )
    return shown


def _page(results, offset: int) -> list[Entity]:
    """The page's entities. Deep in the list, the skipped rows would each have their summary
    columns computed (PostgreSQL projects before it skips): take the page's ids first, then those rows."""
    if offset < DEEP_OFFSET:
        return list(with_summary(results)[offset : offset + PAGE_SIZE])
    ids = list(results.values_list("pk", flat=True)[offset : offset + PAGE_SIZE])
    found = {entity.pk: entity for entity in with_summary(Entity.objects.filter(pk__in=ids))}
    return [found[pk] for pk in ids if pk in found]


def _kind_picker(block: dict | None, selected: dict[str, list[str]]) -> dict:
    """The kind picker: every kind (with how many entities the other filters leave of it), the one
    selected, and "all kinds"; several kinds selected (a link may name them) are one choice of it."""
    options = sorted(block["options"] + block["more"], key=lambda o: (-o["count"], o["label"].lower())) if block else []
    chosen = selected.get("kind", [])
    combined = None
    if len(chosen) > 1:
        ticked = [option for option in options if option["checked"]]
        combined = {
            "value": ",".join(option["value"] for option in ticked),
            "label": ", ".join(option["label"] for option in ticked),
            "count": sum(option["count"] for option in ticked),
        }
    return {
        "options": [option for option in options if option["count"] or option["checked"]],
        "all": not chosen,
        "all_count": sum(option["count"] for option in options),
        "combined": combined,
    }


def _chips(selected, params, term: str, user_filter: str) -> list[dict]:
    """The active filters, each with the address of the list without it (all kinds, when it is the kind)."""
    chips = [{"label": f"Search: “{term}”", "url": _query_string(params, q=None, page=None)}] if term else []
    for facet in FACETS:
        for value in selected.get(facet.param, []):
            rest = [other for other in selected[facet.param] if other != value]
            if facet.param == "kind" and not rest:
                rest = [ALL_KINDS]
            chips.append(
                {
                    "label": f"{facet.label}: {facet.display(value)}",
                    "url": _query_string(params, **{facet.param: rest, "page": None}),
                }
            )
    if user_filter in USER_FILTERS:
        chips.append({"label": USER_FILTERS[user_filter], "url": _query_string(params, user=None, page=None)})
    return chips


def catalog_list(request):
    term = request.GET.get("q", "").strip()[:200]
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTS else ""
    user_filter = request.GET.get("user", "")
    user_filter = user_filter if user_filter in USER_FILTERS else ""
    selected = _selected(request, implied=not term and not user_filter)
    params = {"kind": selected.get("kind", [ALL_KINDS]), **selected}
    if term:
        params["q"] = [term]
    if user_filter:
        params["user"] = [user_filter]
    if sort:
        params["sort"] = [sort]
    error = ""
    condition, scope = _scope(request, user_filter)
    base = Entity.objects.filter(**condition)
    try:
        if term:
            base = queries.full_text(base, term)
        # Computed once per revision of the catalog for a given search, selection and user filter.
        number = revision.current()
        blocks, total = revision.cached(
            "list-facets",
            {"term": term, "selected": selected, "scope": [user_filter, scope]},
            lambda: _facet_blocks(base, term, selected, number, [user_filter, scope]),
            number=number,
        )
        results = _filtered(base, selected)
    except queries.QueryError as exc:
        error, blocks, total, results = str(exc), [], 0, Entity.objects.none()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(query_params.page_number(request.GET.get("page")), pages)
    # Relevance: best rank first on PostgreSQL, else kind, namespace, name (queries.order).
    results = results.order_by(*SORTS[sort][1]) if sort else queries.order(results, [])
    offset = (page - 1) * PAGE_SIZE
    rows = [row(entity) for entity in _page(results, offset)] if total else []
    kind_block = next((block for block in blocks if block["param"] == "kind"), None)
    picker = _kind_picker(kind_block, selected)
    chips = _chips(selected, params, term, user_filter)
    clear = {"kind": [ALL_KINDS], **({"sort": [sort]} if sort else {})}
    # Nothing at all to show, whatever the filters: the catalog holds no entity yet.
    filtered = bool(term or user_filter or set(selected) - {"kind"})
    catalog_empty = not total and not error and not filtered and picker["all_count"] == 0
    context = {
        "catalog_tab": "browse",
        "term": term,
        "kind_picker": picker,
        "user_filter": user_filter,
        "user_filters": [("", "All"), *USER_FILTERS.items()],
        "facets": [block for block in _folded(blocks, params, request.GET.get("more", "")) if block["param"] != "kind"],
        "rows": rows,
        "total": total,
        "error": error,
        "chips": chips,
        "clear_url": _query_string(clear),
        "catalog_empty": catalog_empty,
        "owns_nothing": user_filter == "owned" and not scope,
        "sort": sort,
        "sorts": [("", "Relevance" if term else "Kind and name")] + [(key, label) for key, (label, _) in SORTS.items()],
        "page": page,
        "pages": pages,
        "first_index": offset + 1 if rows else 0,
        "last_index": offset + len(rows),
        "previous_url": _query_string(params, page=str(page - 1)) if page > 1 else "",
        "next_url": _query_string(params, page=str(page + 1)) if page < pages else "",
    }
    htmx = getattr(request, "htmx", None)
    # A history restore after a cache miss (the back button) needs the whole page, as a first visit.
    partial = htmx is not None and bool(htmx) and not htmx.history_restore_request
    return render(request, "catalog/_browser.html" if partial else "catalog/list.html", context)
