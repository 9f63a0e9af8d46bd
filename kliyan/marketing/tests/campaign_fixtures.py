"""Fixtures of the campaign tests: e-mail templates, a segment of everyone, contacts with and without consent."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from kliyan.marketing.campaign_services import campaign_create, campaign_schedule
from kliyan.marketing.models import Campaign, MessageTemplate, Segment, TemplateText


@pytest.fixture
def email_template(db: Any) -> Callable[..., MessageTemplate]:
    def make(name: str = "Spring", body: str = "Hello {{ first_name }}, use {{ coupon_code }}.") -> MessageTemplate:
        template = MessageTemplate.objects.create(name=name, channel="email")
        TemplateText.objects.create(template=template, language="en", subject=f"{name} sale", body=body)
        return template

    return make


@pytest.fixture
def everyone(db: Any) -> Segment:
    return Segment.objects.create(name="Everyone", rule={"all": []})


@pytest.fixture
def make_campaign(manager: Any, everyone: Segment, email_template: Callable[..., MessageTemplate]) -> Callable[..., Campaign]:
    numbers = itertools.count()

    def make(*, shares: tuple[int, ...] = (100,), schedule: bool = False, **data: Any) -> Campaign:
        variants = [{"template_id": email_template(f"T{next(numbers)}").pk, "share": share} for share in shares]
        campaign = campaign_create(actor=manager, data={
            "name": "Spring sale", "segment_id": everyone.pk, "channel": "email", "variants": variants,
            "coupon_code": "SPRING20", **data,
        })
        if schedule:
            campaign = campaign_schedule(actor=manager, campaign=campaign)
        return campaign

    return make
