"""E-mail through the outbox: recorded once per key with the change that causes it, sent by the run
engine to a real SMTP server on loopback, retried when the server defers, failed when it refuses."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from portal import mail, runs
from portal.models import Run
from tests.fakes.smtp import FakeSmtp


@pytest.fixture
def smtp(settings):
    server = FakeSmtp().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Atrium <atrium@example.com>"
    yield server
    server.stop()


def _send(key="weekly:platform:2026-49", **overrides):
    fields = {
        "to": ["lead@example.com", " finance@example.com "],
        "subject": "Platform: cost of week 49",
        "text": "Spent 1,234.56 EUR.",
        "html": "<p>Spent <b>1,234.56 EUR</b>.</p>",
        **overrides,
    }
    return mail.send_once(key, **fields)


def test_an_email_is_recorded_once_per_key_and_sent_once(db, smtp):
    run, recorded = _send()
    again, recorded_again = _send()

    assert (recorded, recorded_again, again.pk) == (True, False, run.pk)
    assert runs.execute(run.pk) == runs.Outcome("succeeded")
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert (message["Subject"], message["To"], message["From"]) == (
        "Platform: cost of week 49",
        "lead@example.com, finance@example.com",
        "Atrium <atrium@example.com>",
    )
    assert message["Message-ID"] == mail.message_id("weekly:platform:2026-49")
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert parts["text/plain"].strip() == "Spent 1,234.56 EUR."
    assert parts["text/html"].strip() == "<p>Spent <b>1,234.56 EUR</b>.</p>"
    assert runs.execute(run.pk).status == "skipped"
    assert len(smtp.messages) == 1


def test_the_message_id_is_the_same_for_every_attempt_and_differs_by_key(settings):
    settings.SITE_URL = "https://portal.example.com"
    assert mail.message_id("a") == mail.message_id("a")
    assert mail.message_id("a") != mail.message_id("b")
    assert mail.message_id("a").endswith("@portal.example.com>")


def test_an_email_of_a_change_that_rolls_back_is_never_sent(db, smtp):
    class Failed(Exception):
        pass

    def change() -> None:
        with transaction.atomic():
            _send(key="alert:7")
            raise Failed

    with pytest.raises(Failed):
        change()
    assert Run.objects.filter(kind=mail.EMAIL_KIND).count() == 0


def test_a_server_that_defers_is_tried_again_with_backoff(db, smtp):
    smtp.fail_next(451, "4.3.0 Try again later")
    run, _ = _send()

    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert outcome.status == "waiting"
    assert run.status == "pending"
    assert (
        run.events.order_by("id")
        .last()
        .message.endswith("(attempt 2 of 6): The mail server answered 451 4.3.0 Try again later")
    )
    Run.objects.filter(pk=run.pk).update(not_before=timezone.now() - datetime.timedelta(seconds=1))
    assert runs.execute(run.pk) == runs.Outcome("succeeded")
    assert len(smtp.messages) == 1


def test_a_server_that_refuses_fails_the_email_at_once_with_its_reason(db, smtp):
    smtp.fail_next(554, "5.7.1 Message rejected")
    run, _ = _send()

    assert runs.execute(run.pk) == runs.Outcome("failed")

    run.refresh_from_db()
    assert run.error == "Step Send the e-mail failed: The mail server answered 554 5.7.1 Message rejected"
    assert smtp.messages == []


def test_an_unreachable_server_is_transient(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    run, _ = _send()

    assert runs.execute(run.pk).status == "waiting"
    assert "The mail server cannot be reached (ConnectionRefusedError" in run.events.order_by("id").last().message


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"to": []}, "at least one recipient"),
        ({"to": [" "]}, "at least one recipient"),
        ({"subject": " "}, "a subject"),
    ],
)
def test_an_email_without_recipients_or_subject_is_refused_and_nothing_is_written(db, fields, message):
    with pytest.raises(ValueError, match=message):
        _send(**fields)
    assert Run.objects.count() == 0
