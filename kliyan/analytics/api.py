"""The analytics app's API v1 endpoints: recommendations for a customer, partners of a product."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from kliyan.accounts.access import Perm
from kliyan.analytics.recommendations import MAX_LIMIT, goes_with, recommendations_for
from kliyan.analytics.schemas import GoesWithOut, PartnerOut, ProductRef, RecommendationOut, RecommendationsOut
from kliyan.commerce.models import Product
from kliyan.contacts.models import Contact
from kliyan.core.api_auth import actor
from kliyan.core.errors import NotFound

router = Router()

LIMIT = Query(5, ge=1, le=MAX_LIMIT, description=f"How many products (at most {MAX_LIMIT})")


@router.get(
    "/contacts/{int:contact_id}/recommendations", response=RecommendationsOut, tags=["recommendations"],
    summary="Products that go well with what a customer bought",
)
def contact_recommendations(request: HttpRequest, contact_id: int, limit: int = LIMIT) -> RecommendationsOut:
    """Active products the customer has not bought, best first, each with the purchase it goes with."""
    actor(request, Perm.VIEW_COMMERCE)
    if not Contact.objects.filter(pk=contact_id).exists():
        raise NotFound(_("There is no contact with id %(id)s.") % {"id": contact_id})
    items = [
        RecommendationOut(
            product_id=r.product_id, sku=r.sku, name=r.name, price=str(r.price), currency=r.currency, score=r.score,
            because=ProductRef(id=r.because_id, name=r.because_name),
        )
        for r in recommendations_for(contact_id, limit=limit)
    ]
    return RecommendationsOut(contact_id=contact_id, items=items)


@router.get(
    "/products/{int:product_id}/goes-with", response=GoesWithOut, tags=["recommendations"],
    summary="Products bought together with a product",
)
def product_goes_with(request: HttpRequest, product_id: int, limit: int = Query(10, ge=1, le=50)) -> GoesWithOut:
    """Active products bought by the same customers, by score (cosine of their customer sets)."""
    actor(request, Perm.VIEW_COMMERCE)
    if not Product.objects.filter(pk=product_id).exists():
        raise NotFound(_("There is no product with id %(id)s.") % {"id": product_id})
    items = [
        PartnerOut(
            product_id=p.product_id, sku=p.sku, name=p.name, price=str(p.price), currency=p.currency,
            customers_who_bought_both=p.co_count, score=p.score,
        )
        for p in goes_with(product_id, limit=limit)
    ]
    return GoesWithOut(product_id=product_id, items=items)
