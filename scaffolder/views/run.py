"""Running a template: its form one page at a time, a review of the answers, then a dry run or the real task.

Every step is a POST of the page's fields, the encrypted answers so far (``state``, see
:mod:`scaffolder.forms.state`), the page shown (``page``, ``review`` for the review) and what was pressed
(``action``): ``next``, ``back``, ``refresh`` (a field that shows or hides others changed), ``goto:<page>``
(from the review), ``add:<path>`` and ``remove:<path>:<index>`` (items of a list of groups), ``create`` and
``dry-run``. A page is checked when leaving it forward; all the answers are checked again by
``services.validate_values`` before anything is created. POST bodies are never logged (they may hold
secrets): Django's error reports get them masked.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from scaffolder import services
from scaffolder.forms import TemplateForm
from scaffolder.forms.fields import add_item, controlling_names, has_conditions, page_names, remove_item
from scaffolder.forms.schema import Page
from scaffolder.forms.state import FormState, dump, load
from scaffolder.forms.widgets import render_fields
from scaffolder.views.common import tabs, template_card, template_or_404

REVIEW = "review"
EXPIRED = "This form was open too long or changed hands: its answers were lost, please fill it in again."


class Run:
    """One request of the form: the template, the user's answers and how to show a page of them."""

    def __init__(self, request, entity) -> None:
        self.request, self.entity = request, entity
        self.template = entity.body if isinstance(entity.body, dict) else {}
        self.form = TemplateForm(self.template, request.user, services.secret_fields(self.template))
        self.state = FormState()
        self.notice = ""

    def url(self) -> str:
        return reverse("scaffolder:run", kwargs={"namespace": self.entity.namespace, "name": self.entity.name})

    def visible(self) -> list[Page]:
        return self.form.visible(self.state.values)

    def neighbour(self, index: int | None, step: int) -> Page | None:
        pages = self.visible()
        if index is None:  # from the review: back is the last page
            return pages[-1] if step < 0 and pages else None
        later = [page for page in pages if (page.index > index if step > 0 else page.index < index)]
        if not later:
            return None
        return later[0] if step > 0 else later[-1]

    def context(self, **extra) -> dict:
        token = dump(self.state, user=self.request.user, template_ref=self.entity.ref)
        pages = self.visible()
        return {
            "card": template_card(self.entity),
            "steps": [{"index": page.index, "title": page.title} for page in pages],
            "state": token,
            "run_url": self.url(),
            "notice": self.notice,
            **tabs(self.request, "templates"),
            **extra,
        }

    def show_page(self, page: Page, errors: dict | None = None, *, refreshing: bool = False):
        if page.index not in self.state.seen:
            self.state.values = self.form.with_defaults(page, self.state.values)
            self.state.seen.add(page.index)
        errors = errors or {}
        fields = self.form.fields(page, self.state.values, errors)
        refreshers = controlling_names(page.schema) if has_conditions(page.schema) else set()
        for field in fields:
            field.refresh = field.name in refreshers
            if refreshing:
                for item in field.walk():
                    item.autofocus = False
        pages = self.visible()
        position = next((number for number, item in enumerate(pages) if item.index == page.index), 0)
        context = self.context(
            page=page,
            form_html=render_fields(fields),
            page_errors=self.form.page_errors(page, self.state.values, errors),
            has_errors=bool(errors),
            first=position == 0,
            # "Review" only when no page may follow (a later page may appear with this page's answers).
            last=page.index == self.form.pages[-1].index,
            refreshes=bool(refreshers),
        )
        template = "scaffolder/run/_form.html" if refreshing and self.request.htmx else "scaffolder/run/page.html"
        return render(self.request, template, context)

    def show_review(self, errors: dict | None = None):
        sections = self.form.review(self.state.values)
        context = self.context(sections=sections, review_errors=errors or {}, page=None)
        return render(self.request, "scaffolder/run/review.html", context)

    def show_errors(self, errors: dict[str, list[str]]):
        """Errors found at the end: on the page of the first field that has one (the review if none has)."""
        for path in errors:
            page = self.form.page_of(path, self.state.values) if path else None
            if page is not None:
                page_errors = {
                    key: value
                    for key, value in errors.items()
                    if key and self.form.page_of(key, self.state.values) == page
                }
                return self.show_page(page, page_errors)
        return self.show_review(errors)


@sensitive_variables()
@sensitive_post_parameters()
def run(request, namespace: str, name: str):
    entity = template_or_404(namespace, name)
    if not services.can_run(request.user, entity):
        raise PermissionDenied("You are not allowed to run this template.")
    flow = Run(request, entity)
    pages = flow.visible()
    if request.method != "POST":
        return flow.show_page(pages[0]) if pages else flow.show_review()
    token = request.POST.get("state", "")
    loaded = load(token, user=request.user, template_ref=entity.ref)
    if loaded is None and token:
        flow.notice = EXPIRED
        return flow.show_page(pages[0]) if pages else flow.show_review()
    flow.state = loaded or FormState()
    action = request.POST.get("action", "next")
    shown = request.POST.get("page", REVIEW)
    page = next((item for item in flow.form.pages if str(item.index) == shown), None)
    read_errors: dict[str, list[str]] = {}
    if page is not None:
        flow.state.values, read_errors = flow.form.read(page, request.POST, flow.state.values)
    return _navigate(flow, page, action, read_errors)


def _navigate(flow: Run, page: Page | None, action: str, read_errors: dict):
    if action.startswith(("add:", "remove:", "goto:")) or action in ("back", "refresh"):
        return _move(flow, page, action)
    if page is not None and action == "next":
        errors = flow.form.check(page, flow.state.values, read_errors)
        if errors:
            return flow.show_page(page, errors)
        following = flow.neighbour(page.index, +1)
        return flow.show_page(following) if following else flow.show_review()
    if page is not None:  # an unknown action on a page: show it again
        return flow.show_page(page, read_errors)
    return _finish(flow, action)


def _move(flow: Run, page: Page | None, action: str):
    if action.startswith("goto:"):
        target = next((item for item in flow.visible() if str(item.index) == action[5:]), None)
        return flow.show_page(target) if target else flow.show_review()
    if page is None:
        previous = flow.neighbour(None, -1)
        return flow.show_page(previous) if previous else flow.show_review()
    if action == "back":
        previous = flow.neighbour(page.index, -1)
        return flow.show_page(previous or page)
    if action.startswith("add:") and action[4:].split(".", 1)[0] in page_names(page.schema):
        flow.state.values = add_item(flow.state.values, action[4:])
    elif action.startswith("remove:"):
        path, _, index = action[7:].rpartition(":")
        if index.isdigit() and path.split(".", 1)[0] in page_names(page.schema):
            flow.state.values = remove_item(flow.state.values, path, int(index))
    return flow.show_page(page, refreshing=action == "refresh")


@sensitive_variables()
def _finish(flow: Run, action: str):
    values = flow.form.shown_values(flow.state.values)
    try:
        cleaned = services.validate_values(flow.template, values, user=flow.request.user)
    except services.TaskInputError as problem:
        return flow.show_errors(problem.errors)
    if action not in ("create", "dry-run"):
        return flow.show_review()
    try:
        task = services.create_task(flow.request.user, flow.entity, cleaned, dry_run=action == "dry-run")
    except services.TaskInputError as problem:
        return flow.show_errors(problem.errors)
    return redirect("scaffolder:task", pk=task.pk)
