"""The service's API, under /api/v1: add your routes here (or in more routers made the same way).

Give a router its prefix where it is made, as here, not in ``include_router``: the route templates
that label the metrics then include it.
"""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app import __version__

router = APIRouter(prefix="/api/v1", tags=["service"])


class ServiceInfo(BaseModel):
    service: str
    version: str
    environment: str


@router.get("/info")
def info(request: Request) -> ServiceInfo:
    """What is running here: the service, its version and its environment."""
    settings = request.app.state.settings
    return ServiceInfo(service=settings.service_name, version=__version__, environment=settings.environment)
