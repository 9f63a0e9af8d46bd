"""API shapes of the screen pop and of live calls."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from kliyan.channels.queries import ScreenPop
from kliyan.contacts.models import Company, Contact
from kliyan.core.links import id_url


class Ref(Schema):
    id: int
    name: str


class CompanyRef(Ref):
    pass


class PopContact(Schema):
    id: int
    name: str
    first_name: str
    company: CompanyRef | None


class PopPrimary(PopContact):
    greeting: str = Field(description="The name to greet them by: first name, else the display name")
    language: str = Field(description="Preferred language code, or empty")
    language_label: str
    url: str


class ScreenPopOut(Schema):
    phone: str = Field(description="The number as sent")
    e164: str | None = Field(description="The number in E.164, when it parses")
    matched: bool
    contacts: list[PopContact] = Field(description="Active contacts with this number, best match first")
    contact: PopPrimary | None = Field(description="The best match, with what to greet them by")
    companies: list[CompanyRef]
    archived_contacts: list[PopContact] = Field(description="Archived contacts with this number (restore rather than re-create)")
    greeting: str
    language: str
    language_label: str
    sections: dict[str, Any] = Field(description="Each app's section about the caller, by name (orders, balance, tasks, …)")
    create_url: str | None = Field(description="For an unknown number: the new-contact page with the number filled in")
    pop_url: str


def _company(company: Company | None) -> dict[str, Any] | None:
    return {"id": company.pk, "name": company.name} if company is not None else None


def _contact(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk, "name": contact.display_name, "first_name": contact.first_name,
        "company": _company(contact.company) if contact.company_id else None,
    }


def screen_pop_out(pop: ScreenPop) -> dict[str, Any]:
    primary = pop.contact
    return {
        "phone": pop.phone,
        "e164": pop.e164,
        "matched": pop.matched,
        "contacts": [_contact(c) for c in pop.contacts],
        "contact": {
            **_contact(primary), "greeting": pop.greeting_name, "language": pop.language,
            "language_label": pop.language_label, "url": id_url("contacts:contact_detail", primary.pk),
        } if primary is not None else None,
        "companies": [_company(c) for c in pop.companies],
        "archived_contacts": [_contact(c) for c in pop.archived_contacts],
        "greeting": pop.greeting_name,
        "language": pop.language,
        "language_label": pop.language_label,
        "sections": {built.section.name: built.data for built in pop.sections},
        "create_url": None if pop.matched else pop.create_url,
        "pop_url": pop.pop_url,
    }


class IncomingCallIn(Schema):
    from_: str = Field(alias="from", description="The caller's number, in any format", max_length=64)
    to: str = Field("", description="The number that was called", max_length=64)
    call_id: str = Field(description="The phone system's id of the call; a retry with the same id is applied once", max_length=100)
    direction: str = Field("inbound", description="inbound or outbound")
    agent: str = Field("", description="Username, e-mail or id of the agent taking the call (the pop goes to them only)")
    status: str = Field("", description="The phone system's call status (ringing, answered, …)", max_length=32)


class CallOut(Schema):
    call_id: str
    provider: str
    direction: str
    created: bool = Field(description="False when this call id had already been received")
    matched: bool
    contact: Ref | None = Field(description="The contact the call was logged for")
    interaction_id: int | None
    pop_url: str
