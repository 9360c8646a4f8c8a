"""A task's page never shows a long value whole: the newest lines of its log, the beginning of a long line, of an
output text and of a dry run's file, each with a download of the whole for whoever may see the page."""

import base64
import re

import pytest

from portal.models.runs import RunEvent, RunStatus
from tests.scaffolder.test_ui_support import make_task


def page_of(client, task, **query):
    return client.get(f"/create/tasks/{task.pk}", query)


def test_a_long_log_line_shows_its_beginning_and_links_to_the_whole(signed_in, user):
    task = make_task(user, status=RunStatus.RUNNING)
    event = RunEvent.objects.create(run=task, body={"message": "m" * 10_000, "stepId": "publish"})

    html = page_of(signed_in, task).content.decode()
    whole = page_of(signed_in, task, download="event", event=event.pk)

    assert (
        f'<span class="log-message">{"m" * 4096}…</span> <a class="log-more" '
        f'href="/create/tasks/{task.pk}?download=event&amp;event={event.pk}">Show all (9.8\xa0KB)</a></li>'
    ) in html
    assert "m" * 4097 not in html
    assert whole.content.decode() == "m" * 10_000
    assert whole["Content-Type"] == "text/plain; charset=utf-8"
    assert whole["Content-Disposition"] == f'attachment; filename="task-{task.pk}-event-{event.pk}.txt"'


def test_the_poller_cuts_a_long_line_the_same_way(signed_in, user):
    task = make_task(user, status=RunStatus.RUNNING)
    last = task.events.latest("id").pk
    event = RunEvent.objects.create(run=task, body={"message": "m" * 5000})

    html = signed_in.get(f"/create/tasks/{task.pk}/events?after={last}", HTTP_HX_REQUEST="true").content.decode()

    assert f'<span class="log-message">{"m" * 4096}…</span>' in html
    assert f'href="/create/tasks/{task.pk}?download=event&amp;event={event.pk}">Show all (4.9\xa0KB)</a>' in html


def test_the_page_shows_the_newest_lines_and_offers_the_whole_log(signed_in, user):
    task = make_task(user, status=RunStatus.RUNNING)
    RunEvent.objects.bulk_create(RunEvent(run=task, body={"message": f"line {n}"}) for n in range(500))

    html = page_of(signed_in, task).content.decode()
    whole = page_of(signed_in, task, download="log")

    shown = re.findall(r'<span class="log-message">([^<]+)</span>', html)
    assert (len(shown), shown[0], shown[-1]) == (500, "line 0", "line 499")
    assert (
        '<p class="muted" data-testid="log-earlier">Only the newest lines are shown. '
        f'<a href="/create/tasks/{task.pk}?download=log">Download the whole log</a></p>'
    ) in html
    lines = b"".join(whole.streaming_content).decode().splitlines()
    assert len(lines) == 502
    assert lines[0].endswith(" [Render the skeleton] Beginning step Render the skeleton")
    assert lines[-1].endswith(" line 499")
    assert whole["Content-Disposition"] == f'attachment; filename="task-{task.pk}-log.txt"'


def test_a_short_log_offers_no_download(signed_in, user):
    html = page_of(signed_in, make_task(user, status=RunStatus.RUNNING)).content.decode()

    assert 'data-testid="log-earlier"' not in html
    assert "Show all" not in html


def test_a_long_output_text_shows_its_beginning_and_links_to_the_whole(signed_in, user):
    content = "**Read me.**\n\n" + "t" * 200_000
    output = {"text": [{"title": "Short", "content": "fine"}, {"title": "T" * 300, "content": content}]}
    task = make_task(user, status=RunStatus.SUCCEEDED, output=output)

    html = page_of(signed_in, task).content.decode()
    whole = page_of(signed_in, task, download="text", index=1)

    assert '<h3>Short</h3><div class="markdown"><p>fine</p></div></div>' in html
    assert f"<h3>{'T' * 199}…</h3>" in html
    assert f"<p><strong>Read me.</strong></p>\n<p>{'t' * (64 * 1024 - 14)}…</p>" in html
    assert (
        '<p class="muted" data-testid="text-cut">Only the beginning is shown. '
        f'<a href="/create/tasks/{task.pk}?download=text&amp;index=1">Show all (195.3\xa0KB)</a></p>'
    ) in html
    assert len(html) < 100_000
    assert whole.content.decode() == content
    assert whole["Content-Disposition"] == f'attachment; filename="task-{task.pk}-text-2.md"'


def test_a_link_with_a_long_title_is_cut_and_one_with_an_endless_url_left_out(signed_in, user):
    output = {
        "links": [
            {"title": "L" * 300, "url": "https://github.com/acme/x"},
            {"title": "Endless", "url": "https://github.com/" + "a" * 10_000},
        ]
    }
    task = make_task(user, status=RunStatus.SUCCEEDED, output=output)

    html = page_of(signed_in, task).content.decode()

    assert re.findall(r'<li><a class="button[^"]*" href="([^"]+)">([^<]+)</a></li>', html) == [
        ("https://github.com/acme/x", "L" * 199 + "…")
    ]
    assert "Endless" not in html


def dry_run_task(user, data: bytes):
    entry = {"path": "big/data.txt", "base64Content": base64.b64encode(data).decode(), "executable": False}
    return make_task(user, status=RunStatus.SUCCEEDED, dry_run=True, output={"directoryContents": [entry]})


def test_a_large_dry_run_file_shows_its_beginning_and_links_to_the_whole(signed_in, user):
    data = b"d" * 300_000
    task = dry_run_task(user, data)

    html = page_of(signed_in, task).content.decode()
    whole = page_of(signed_in, task, download="file", file="big/data.txt")

    assert f'<pre class="code-block"><code>{"d" * 200_000}</code></pre>' in html
    assert (
        '<p class="muted" data-testid="file-cut">Only the beginning is shown. '
        f'<a href="/create/tasks/{task.pk}?download=file&amp;file=big%2Fdata.txt">Show all (293.0\xa0KB)</a></p>'
    ) in html
    assert whole.content == data
    assert whole["Content-Type"] == "text/plain; charset=utf-8"
    assert whole["Content-Disposition"] == 'attachment; filename="data.txt"'


def test_a_text_file_with_a_character_cut_at_the_end_of_what_is_shown_is_not_binary(signed_in, user):
    task = dry_run_task(user, b"a" * 199_999 + "é".encode() * 1000)

    html = page_of(signed_in, task).content.decode()

    assert '<li class="tree-file"><a href="' in html
    assert "(binary)" not in html
    assert f"<code>{'a' * 199_997}</code>" in html  # cut where a whole character ends


@pytest.mark.parametrize(
    "query",
    [
        {"download": "event", "event": "1"},
        {"download": "text", "index": "0"},
        {"download": "file", "file": "big/data.txt"},
        {"download": "log"},
    ],
)
def test_downloads_are_for_whoever_may_see_the_task(client, user, other_user, query):
    task = dry_run_task(user, b"secret plans")
    client.force_login(other_user)

    assert page_of(client, task, **query).status_code == 404


def test_an_unknown_download_is_not_found(signed_in, user):
    task = dry_run_task(user, b"plans")

    assert page_of(signed_in, task, download="secrets").status_code == 404
    assert page_of(signed_in, task, download="file", file="other.txt").status_code == 404
    assert page_of(signed_in, task, download="text", index="x").status_code == 404
    assert page_of(signed_in, task, download="text", index="0").status_code == 404
    assert page_of(signed_in, task, download="event", event="0").status_code == 404
