"""Liveness (/healthz, no I/O) and readiness (/readyz, every dependency) for probes and load balancers.

A readiness check is an async function that returns when its dependency answers and raises otherwise;
``app.state.checks`` maps each name to one. ``tcp_checks`` makes them from ``APP_DEPENDENCIES``; add
your own (a database query, a call to another service) in ``create_app``.
"""

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[None]]

router = APIRouter(include_in_schema=False)


async def check_tcp(address: str) -> None:
    """Open and close a TCP connection to ``host:port``."""
    host, _, port = address.rpartition(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.close()
    await writer.wait_closed()


def tcp_checks(dependencies: dict[str, str]) -> dict[str, Check]:
    return {name: partial(check_tcp, address) for name, address in dependencies.items()}


async def _run(check: Check, seconds: float) -> str:
    try:
        async with asyncio.timeout(seconds):
            await check()
    except TimeoutError:
        return f"no answer within {seconds:g}s"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving: touches nothing else, so a slow dependency never restarts it."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when every dependency answers; otherwise 503 naming the failing ones and why."""
    checks: dict[str, Check] = request.app.state.checks
    timeout = request.app.state.settings.readiness_timeout
    results = await asyncio.gather(*(_run(check, timeout) for check in checks.values()))
    outcome = dict(zip(checks, results, strict=True))
    failing = [name for name, result in outcome.items() if result != "ok"]
    if failing:
        return JSONResponse({"status": "unavailable", "failing": failing, "checks": outcome}, status_code=503)
    return JSONResponse({"status": "ok", "checks": outcome})
