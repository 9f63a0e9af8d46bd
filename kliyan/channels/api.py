"""The channels app's API v1 endpoints."""

from __future__ import annotations

from ninja import Router

router = Router()
