"""API shapes of the analytics app."""

from __future__ import annotations

from ninja import Schema


class ProductRef(Schema):
    id: int
    name: str


class RecommendationOut(Schema):
    product_id: int
    sku: str
    name: str
    price: str
    currency: str
    score: float
    because: ProductRef


class RecommendationsOut(Schema):
    contact_id: int
    items: list[RecommendationOut]


class PartnerOut(Schema):
    product_id: int
    sku: str
    name: str
    price: str
    currency: str
    customers_who_bought_both: int
    score: float


class GoesWithOut(Schema):
    product_id: int
    items: list[PartnerOut]
