"""The application factory: ``uvicorn app.main:create_app --factory``."""

from fastapi import FastAPI

from app import __version__, api, health, metrics
from app.config import Settings, get_settings
from app.logging import RequestIdMiddleware, configure_logging


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = FastAPI(title=settings.service_name, version=__version__)
    app.state.settings = settings
    app.state.checks = health.tcp_checks(settings.dependencies)
    # The last added middleware runs first: the request id is set before anything else logs.
    app.add_middleware(metrics.MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(api.router)
    return app
