"""What a run writes is bounded (an event's body, a step's and a run's output), and its page never shows a long
value whole: the beginning, and a download of the whole for whoever may see the page."""

import json

import pytest
from django.urls import reverse

from portal import runs
from portal.models import Run, RunEvent, RunStep
from portal.runs.log import MAX_EVENT, MAX_OUTPUT, RunLog
from tests.portal.runs_support import start_run

MIB = 1024 * 1024


def _large_output(ctx):
    return {"text": "x" * (MAX_OUTPUT + 1)}


class LargeStepOutput(runs.RunKind):
    name = "tests.large_step_output"
    steps = (runs.Step("give", "Give a lot", _large_output), runs.Step("after", "After", lambda ctx: {}))


class LargeRunOutput(runs.RunKind):
    name = "tests.large_run_output"
    steps = (runs.Step("nothing", "Nothing", lambda ctx: {}),)

    def finish(self, ctx):
        return {"text": "x" * (MAX_OUTPUT + 1)}


class MegabyteOutput(runs.RunKind):
    name = "tests.megabyte_output"
    steps = (runs.Step("nothing", "Nothing", lambda ctx: {}),)

    def finish(self, ctx):
        return {"text": "x" * MIB}


for _kind in (LargeStepOutput(), LargeRunOutput(), MegabyteOutput()):
    runs.register(_kind)


def _size(body) -> int:
    return len(json.dumps(body, ensure_ascii=False))


# --- what is written ---------------------------------------------------------------------------------------------


def test_a_step_output_larger_than_the_limit_fails_the_step_and_is_not_stored(db):
    run = start_run("tests.large_step_output")

    assert runs.execute(run.pk).status == "failed"

    assert Run.objects.values_list("error", "output").get(pk=run.pk) == (
        "Step Give a lot failed: The step's output is larger than 20 MB",
        {},
    )
    assert list(RunStep.objects.filter(run_id=run.pk).order_by("index").values_list("status", "output")) == [
        ("failed", {}),
        ("pending", {}),
    ]
    assert max(_size(body) for body in RunEvent.objects.filter(run_id=run.pk).values_list("body", flat=True)) < 1000


def test_a_run_output_larger_than_the_limit_fails_the_run_and_is_not_stored(db):
    run = start_run("tests.large_run_output")

    assert runs.execute(run.pk).status == "failed"

    assert Run.objects.values_list("error", "output").get(pk=run.pk) == ("The run's output is larger than 20 MB", {})


def test_the_completion_of_a_large_output_leaves_the_output_to_the_run(db):
    run = start_run("tests.megabyte_output")

    assert runs.execute(run.pk).status == "succeeded"

    assert Run.objects.get(pk=run.pk).output == {"text": "x" * MIB}
    assert RunEvent.objects.get(run_id=run.pk, type="completion").body == {
        "message": "Run completed with status: succeeded",
        "status": "succeeded",
        "omitted": ["output"],
    }


def test_an_event_keeps_what_it_carries_when_it_is_small(db):
    run = start_run("tests.arithmetic")

    event = RunLog(run.pk).event("completion", "Done", status="succeeded", output={"links": [{"url": "https://x"}]})

    assert RunEvent.objects.get(pk=event.pk).body == {
        "message": "Done",
        "status": "succeeded",
        "output": {"links": [{"url": "https://x"}]},
    }


def test_a_line_of_escaped_characters_is_shortened_to_the_event_limit(db):
    run = start_run("tests.arithmetic")

    event = RunLog(run.pk).line("\x01" * 20_000, step="add", level="warning")

    body = RunEvent.objects.get(pk=event.pk).body
    assert _size(body) <= MAX_EVENT
    assert body["message"] == "\x01" * 9_999 + "…"  # 6 characters of JSON each: halved once
    assert (body["stepId"], body["level"]) == ("add", "warning")


# --- the run's page ----------------------------------------------------------------------------------------------


@pytest.fixture
def large_run(db, user):
    run = start_run("tests.arithmetic", user=user)
    runs.execute(run.pk)
    Run.objects.filter(pk=run.pk).update(params={"blob": "p" * 100_000}, output={"blob": "o" * 3 * MIB})
    RunEvent.objects.create(run_id=run.pk, body={"message": "m" * 10_000, "stepId": "add", "level": "warning"})
    return Run.objects.get(pk=run.pk)


def page_of(client, run, **query):
    return client.get(reverse("portal:run", kwargs={"pk": run.pk}), query)


def test_the_page_shows_the_beginning_of_long_params_output_and_lines(signed_in, large_run):
    page = page_of(signed_in, large_run)

    html = page.content.decode()
    assert len(html) < 300_000
    url = reverse("portal:run", kwargs={"pk": large_run.pk})
    assert page.context["params"]["text"] == '{\n  "blob": "' + "p" * (64 * 1024 - 13) + "\n…"
    assert (
        f'<p class="muted" data-testid="params-cut">Only the beginning is shown. <a href="{url}?download=params">'
        "Show all (97.7\xa0KB)</a></p>"
    ) in html
    assert (
        f'<p class="muted" data-testid="output-cut">Only the beginning is shown. <a href="{url}?download=output">'
        "Show all (3.0\xa0MB)</a></p>"
    ) in html
    line = page.context["events"][-1]
    assert (line["message"], line["cut"], line["size"]) == ("m" * 4096 + "…", True, 10_000)
    assert (
        f'<a href="{url}?download=event&amp;event={RunEvent.objects.latest("id").pk}">Show all (9.8\xa0KB)</a>' in html
    )
    assert 'data-testid="log-earlier"' not in html


def test_the_whole_values_are_served_as_text_attachments(signed_in, large_run):
    params = page_of(signed_in, large_run, download="params")
    output = page_of(signed_in, large_run, download="output")
    event = RunEvent.objects.latest("id")
    line = page_of(signed_in, large_run, download="event", event=event.pk)

    assert params["Content-Type"] == "text/plain; charset=utf-8"
    assert params["Content-Disposition"] == f'attachment; filename="run-{large_run.pk}-params.json"'
    assert json.loads(b"".join(params.streaming_content)) == {"blob": "p" * 100_000}
    assert json.loads(b"".join(output.streaming_content)) == {"blob": "o" * 3 * MIB}
    assert line.content.decode() == "m" * 10_000
    assert line["Content-Disposition"] == f'attachment; filename="run-{large_run.pk}-event-{event.pk}.txt"'


def test_a_long_log_shows_its_newest_lines_and_offers_the_whole(signed_in, large_run):
    RunEvent.objects.bulk_create(RunEvent(run_id=large_run.pk, body={"message": f"line {n}"}) for n in range(500))

    page = page_of(signed_in, large_run)
    whole = page_of(signed_in, large_run, download="log")

    assert [line["message"] for line in page.context["events"]][:2] == ["line 0", "line 1"]
    assert len(page.context["events"]) == 500
    url = reverse("portal:run", kwargs={"pk": large_run.pk})
    assert f'Only the newest lines are shown. <a href="{url}?download=log">Download the whole log</a>' in (
        page.content.decode()
    )
    lines = b"".join(whole.streaming_content).decode().splitlines()
    assert len(lines) == RunEvent.objects.filter(run_id=large_run.pk).count()
    assert lines[0].endswith(" [Add] Beginning step Add")
    assert lines[-1].endswith(" line 499")
    assert whole["Content-Disposition"] == f'attachment; filename="run-{large_run.pk}-log.txt"'


def test_downloads_are_for_whoever_may_see_the_page(client, other_user, large_run):
    client.force_login(other_user)

    for what in ("params", "output", "log"):
        assert page_of(client, large_run, download=what).status_code == 404
    assert page_of(client, large_run, download="event", event=RunEvent.objects.latest("id").pk).status_code == 404


def test_an_unknown_download_or_event_is_not_found(signed_in, large_run):
    assert page_of(signed_in, large_run, download="secrets").status_code == 404
    assert page_of(signed_in, large_run, download="event", event="x").status_code == 404
    assert page_of(signed_in, large_run, download="event", event=0).status_code == 404
