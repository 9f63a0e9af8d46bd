"""Endpoints through which other systems send products, stock, orders, invoices and payments."""

from __future__ import annotations

from ninja import Router

router = Router()
