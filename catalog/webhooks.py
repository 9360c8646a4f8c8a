"""GitHub webhook: ``POST /api/catalog/webhooks/github``.

GitHub signs each delivery with HMAC-SHA256 of the body under the webhook's secret
(``X-Hub-Signature-256: sha256=<hex>``); a delivery is accepted only when that signature matches
``CATALOG_GITHUB_WEBHOOK_SECRET`` (compared in constant time). A ``push`` queues, at once, a refresh
of every location that reads the pushed branch of the pushed repository; ``ping`` is answered; other
events are acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import structlog
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from catalog import services

log = structlog.get_logger("catalog.webhooks")

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"


def signature_for(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@csrf_exempt
@require_POST
def github_webhook(request: HttpRequest) -> JsonResponse:
    secret = settings.CATALOG_GITHUB_WEBHOOK_SECRET
    if not secret:
        return JsonResponse(
            {"detail": "The GitHub webhook is not configured: set CATALOG_GITHUB_WEBHOOK_SECRET."}, status=503
        )
    body = request.body
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not hmac.compare_digest(given.encode("utf-8"), signature_for(secret, body).encode("utf-8")):
        log.warning("catalog.webhook.bad_signature", delivery=request.headers.get("X-GitHub-Delivery", ""))
        return JsonResponse({"detail": f"Missing or wrong {SIGNATURE_HEADER} signature."}, status=403)
    event = request.headers.get(EVENT_HEADER, "")
    if event == "ping":
        return JsonResponse({"event": "ping", "ok": True})
    if event != "push":
        return JsonResponse({"event": event, "ignored": True}, status=202)
    try:
        payload = json.loads(body)
    except ValueError:
        return JsonResponse({"detail": "The body is not JSON."}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"detail": "The body is not a JSON object."}, status=400)
    refreshes = services.handle_github_push(payload)
    log.info("catalog.webhook.push", runs=len(refreshes))
    return JsonResponse(
        {
            "event": "push",
            "locations": [run.object_id for run in refreshes],
            "runs": [str(run.pk) for run in refreshes],
        },
        status=202,
    )


app_name = "catalog-webhooks"
urlpatterns = [path("webhooks/github", github_webhook, name="github")]
