"""The JSON API under ``/api/v1``: thin routes over the service layer (``routes/<resource>.py``),
request and response models in ``models``."""

from fastapi import APIRouter

from .routes import admin, health, loans, meters, mv, sites, token

__all__ = ["PREFIX", "router"]

PREFIX = "/api/v1"

router = APIRouter(prefix=PREFIX)
for _module in (health, token, sites, meters, mv, loans, admin):
    router.include_router(_module.router)
