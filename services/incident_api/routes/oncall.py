"""On-call's routes in one router: schedules, escalation policies and the service catalogue,
so the app registers them with one line."""

from __future__ import annotations

from fastapi import APIRouter

from services.incident_api.routes import catalogue, schedules

router = APIRouter()
router.include_router(schedules.router)
router.include_router(catalogue.policies)
router.include_router(catalogue.catalogue)
