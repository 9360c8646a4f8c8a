"""E-mail as a must-happen side effect: recorded in the transaction of the change that causes it, sent
by the run engine (kind ``portal.email``) with its claim and retry rules.

    with transaction.atomic():
        budget.save()
        mail.send_once(f"budget-alert:{budget.pk}:{month}", to=[...], subject=..., text=..., html=...)

Each e-mail is recorded at most once per ``key``. An SMTP server answering 4xx (or not answering) is
tried again with backoff; a 5xx answer fails the run with the server's reason. SMTP cannot tell a
client whether a message it sent before its connection broke was delivered, so a worker that dies
between sending and recording may send it again after recovery: the message keeps one
``Message-ID``, derived from the key, by which mail clients drop the duplicate.
"""

from __future__ import annotations

import hashlib
import smtplib
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models

from portal import runs
from portal.models.runs import Run

EMAIL_KIND = "portal.email"
#: The longest subject kept (a header line of an e-mail); longer ones are cut.
MAX_SUBJECT = 200


def message_id(key: str) -> str:
    """The e-mail's ``Message-ID``: the same for every attempt at sending the e-mail of ``key``."""
    domain = urlsplit(settings.SITE_URL).hostname or "atrium.localhost"
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:40]}@{domain}>"


def send_once(
    key: str,
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str = "",
    user: Any = None,
    obj: models.Model | None = None,
) -> tuple[Run, bool]:
    """Record the e-mail of ``key`` to be sent (once, ever): ``(run, recorded now)``.

    Raises ValueError (nothing written) for an e-mail without a recipient or a subject.
    """
    recipients = [address.strip() for address in to if address and address.strip()]
    if not recipients:
        raise ValueError("An e-mail needs at least one recipient.")
    if not subject.strip():
        raise ValueError("An e-mail needs a subject.")
    params = {
        "to": recipients,
        "subject": " ".join(subject.split())[:MAX_SUBJECT],
        "text": text,
        "html": html,
        "message_id": message_id(key),
    }
    return runs.record_effect(EMAIL_KIND, f"email:{key}", params=params, user=user, obj=obj)


def _smtp_failure(error: smtplib.SMTPException) -> runs.RunError:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        refused = ", ".join(sorted(error.recipients))
        if codes and all(400 <= code < 500 for code in codes):
            return runs.TransientError(f"The mail server deferred {refused} ({codes[0]})")
        return runs.PermanentError(f"The mail server refused {refused}")
    if isinstance(error, smtplib.SMTPResponseException):
        reason = (
            error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        )
        text = f"The mail server answered {error.smtp_code} {reason}".strip()
        return runs.TransientError(text) if 400 <= error.smtp_code < 500 else runs.PermanentError(text)
    return runs.TransientError(f"The mail server dropped the connection ({type(error).__name__})")


def send(ctx: runs.RunContext) -> dict[str, Any]:
    params = ctx.params
    message = EmailMultiAlternatives(
        subject=params["subject"],
        body=params["text"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=params["to"],
        headers={"Message-ID": params["message_id"]},
    )
    if params.get("html"):
        message.attach_alternative(params["html"], "text/html")
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPException as error:
        raise _smtp_failure(error) from None
    except OSError as error:  # refused, unreachable, timed out
        raise runs.TransientError(f"The mail server cannot be reached ({type(error).__name__}: {error})") from None
    ctx.info(f"Sent to {', '.join(params['to'])}")
    return {"message_id": params["message_id"], "recipients": len(params["to"])}


class SendEmail(runs.RunKind):
    name = EMAIL_KIND
    label = "E-mail"
    steps = (runs.Step("send", "Send the e-mail", send, action="smtp"),)
    max_attempts = 6
    retry_base = 60.0

    def check_params(self, params: dict[str, Any]) -> None:
        missing = {"to", "subject", "text", "message_id"} - set(params)
        if missing:
            raise ValueError(f"An e-mail run needs {', '.join(sorted(missing))}.")

    def finish(self, ctx: runs.RunContext) -> dict[str, Any] | None:
        return ctx.outputs.get("send") or {}


runs.register(SendEmail())
