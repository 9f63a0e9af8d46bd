"""API shapes for people, companies, consent and custom fields.

Input schemas forbid unknown fields, so a misspelt field is named in the 422 answer
instead of being silently ignored. Values are checked by the services (the same checks
as the pages), which name each bad field too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from kliyan.core.api_types import ApiDateTime


class Input(Schema):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store U+0000 in text; refuse it here rather than fail on save.
        if _has_nul(value):
            raise PydanticCustomError("nul_character", _("Text may not contain the NUL character."))
        return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


# --- Shared references ----------------------------------------------------------------

class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    username: str
    name: str


# Output helpers build plain dicts: the API's lists send them as JSON without a second
# pydantic pass (bench/: that pass was half of a 50-contact page); the schemas below still
# describe them in the OpenAPI document, and tests check the lists against those schemas.

def user_ref(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user)}


def ref(pk: int, name: str) -> dict[str, Any]:
    return {"id": pk, "name": name}


class PageOut(Schema):
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null on the last page.")


# --- E-mails, phones, addresses -------------------------------------------------------

class EmailIn(Input):
    email: str
    kind: str = Field("personal", description="personal, work or other")
    is_primary: bool = False


class EmailOut(Schema):
    email: str
    kind: str
    is_primary: bool


class PhoneIn(Input):
    number: str = Field(..., description="Any format; stored in E.164 using the organisation's country.")
    kind: str = Field("mobile", description="mobile, work, home, whatsapp, fax or other")
    is_primary: bool = False


class PhoneOut(Schema):
    number: str = Field(..., description="E.164")
    kind: str
    is_primary: bool


class AddressIn(Input):
    kind: str = Field("home", description="home, work, billing, delivery or other")
    street: str = ""
    street2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = Field("", description="ISO 3166 two-letter code")
    is_primary: bool = False


class AddressOut(Schema):
    kind: str
    street: str
    street2: str
    city: str
    region: str
    postal_code: str
    country: str
    is_primary: bool


def emails_out(owner: Any) -> list[dict[str, Any]]:
    return [{"email": e.email, "kind": e.kind, "is_primary": e.is_primary} for e in owner.emailaddresss.all()]


def phones_out(owner: Any) -> list[dict[str, Any]]:
    return [{"number": p.e164, "kind": p.kind, "is_primary": p.is_primary} for p in owner.phonenumbers.all()]


def addresses_out(owner: Any) -> list[dict[str, Any]]:
    return [
        {"kind": a.kind, "street": a.street, "street2": a.street2, "city": a.city, "region": a.region,
         "postal_code": a.postal_code, "country": a.country, "is_primary": a.is_primary}
        for a in owner.addresss.all()
    ]


# --- Contacts -------------------------------------------------------------------------

DATE_HELP = "YYYY-MM-DD"


class ContactFields(Input):
    first_name: str | None = None
    last_name: str | None = None
    company: int | None = Field(None, description="Company id")
    job_title: str | None = None
    birthday: str | None = Field(None, description=DATE_HELP, examples=["1985-03-14"])
    language: str | None = Field(None, description="en, fr, ht, ny, sq or ro")
    preferred_channel: str | None = None
    owner: int | None = Field(None, description="Staff user id")
    source: str | None = Field(None, description="How they found us")
    source_detail: str | None = None
    referred_by: int | None = Field(None, description="Id of the contact who recommended them")
    notes: str | None = None
    emails: list[EmailIn] | None = Field(None, description="Replaces all e-mails; one is primary.")
    phones: list[PhoneIn] | None = Field(None, description="Replaces all phones; one is primary.")
    addresses: list[AddressIn] | None = None
    tags: list[str] | None = None
    interests: list[str] | None = None
    custom_fields: dict[str, Any] | None = Field(None, description="Values keyed by custom field key.")


class ContactCreate(ContactFields):
    allow_duplicate: bool = Field(False, description="Create even if the e-mail or phone belongs to another contact.")


class ContactUpdate(ContactFields):
    allow_duplicate: bool = Field(True, description="Set false to refuse an e-mail or phone another contact has.")


class ContactSummary(Schema):
    id: int
    display_name: str
    company: Ref | None
    primary_email: str
    primary_phone: str
    archived: bool


def contact_summary(contact: Any) -> ContactSummary:
    company = contact.company if contact.company_id else None
    return ContactSummary(
        id=contact.pk, display_name=contact.display_name,
        company=Ref(id=company.pk, name=company.name) if company else None,
        primary_email=contact.primary_email, primary_phone=contact.primary_phone, archived=contact.archived_at is not None,
    )


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    display_name: str
    company: Ref | None
    job_title: str
    birthday: dt.date | None
    language: str
    preferred_channel: str
    owner: UserRef | None
    source: str
    source_detail: str
    referred_by: Ref | None
    notes: str
    primary_email: str
    primary_phone: str
    emails: list[EmailOut]
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    tags: list[str]
    interests: list[str]
    custom_fields: dict[str, Any]
    archived_at: dt.datetime | None
    merged_into_id: int | None = Field(None, description="Set when this contact was merged into another: the one to use now")
    created_at: dt.datetime
    updated_at: dt.datetime


def contact_out(contact: Any, details: Any) -> dict[str, Any]:
    """Render a contact as ContactOut's dict, with its `details` from contacts.queries.contact_details."""
    company = contact.company if contact.company_id else None
    return dict(
        id=contact.pk, first_name=contact.first_name, last_name=contact.last_name, display_name=contact.display_name,
        company=ref(company.pk, company.name) if company else None,
        job_title=contact.job_title, birthday=contact.birthday, language=contact.language,
        preferred_channel=contact.preferred_channel, owner=user_ref(contact.owner if contact.owner_id else None),
        source=contact.source, source_detail=contact.source_detail, referred_by=details.referred_by,
        notes=contact.notes, primary_email=contact.primary_email, primary_phone=contact.primary_phone,
        emails=details.emails, phones=details.phones, addresses=details.addresses,
        tags=details.tags, interests=details.interests,
        custom_fields=contact.custom_fields or {}, archived_at=contact.archived_at, merged_into_id=contact.merged_into_id,
        created_at=contact.created_at, updated_at=contact.updated_at,
    )


class ContactPage(PageOut):
    items: list[ContactOut]


class SearchOut(Schema):
    items: list[ContactSummary]


class CallerIdOut(Schema):
    e164: str | None = Field(None, description="The number as understood, in E.164")
    contacts: list[ContactSummary]
    companies: list[Ref]
    archived_contacts: list[ContactSummary]


class TimelineEntryOut(Schema):
    kind: str
    id: int
    at: dt.datetime
    title: str
    body: str
    actor: str
    channel: str
    data: dict[str, Any]


class TimelineOut(Schema):
    items: list[TimelineEntryOut]
    next_before: dt.datetime | None = Field(None, description="Pass as `before` to get older entries.")


# --- Companies ------------------------------------------------------------------------

class CompanyFields(Input):
    name: str | None = None
    website: str | None = None
    industry: str | None = None
    owner: int | None = Field(None, description="Staff user id")
    source: str | None = None
    notes: str | None = None
    emails: list[EmailIn] | None = None
    phones: list[PhoneIn] | None = None
    addresses: list[AddressIn] | None = None
    tags: list[str] | None = None
    custom_fields: dict[str, Any] | None = None


class CompanyOut(Schema):
    id: int
    name: str
    website: str
    industry: str
    owner: UserRef | None
    source: str
    notes: str
    primary_email: str
    primary_phone: str
    emails: list[EmailOut]
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    tags: list[str]
    custom_fields: dict[str, Any]
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def company_out(company: Any) -> CompanyOut:
    return CompanyOut(
        id=company.pk, name=company.name, website=company.website, industry=company.industry,
        owner=user_ref(company.owner if company.owner_id else None), source=company.source, notes=company.notes,
        primary_email=company.primary_email, primary_phone=company.primary_phone,
        emails=emails_out(company), phones=phones_out(company), addresses=addresses_out(company),
        tags=sorted(t.name for t in company.tags.all()), custom_fields=company.custom_fields or {},
        archived_at=company.archived_at, created_at=company.created_at, updated_at=company.updated_at,
    )


class CompanyPage(PageOut):
    items: list[CompanyOut]


# --- Consent --------------------------------------------------------------------------

class ConsentIn(Input):
    status: str = Field(..., description="granted or withdrawn")
    method: str = Field("api", description="verbal, written, web_form, message, unsubscribe, import, api or other")
    note: str = ""
    at: ApiDateTime | None = Field(None, description="When it was given or withdrawn; now if left out.")


class ConsentCreate(ConsentIn):
    channel: str = Field(..., description="email, sms, whatsapp, phone or post")


class ConsentEventOut(Schema):
    id: int
    contact_id: int
    channel: str
    status: str
    method: str
    note: str
    at: dt.datetime
    recorded_by: UserRef | None
    created_at: dt.datetime


def consent_event_out(event: Any) -> ConsentEventOut:
    return ConsentEventOut(
        id=event.pk, contact_id=event.contact_id, channel=event.channel, status=event.status, method=event.method,
        note=event.note, at=event.at, recorded_by=user_ref(event.recorded_by if event.recorded_by_id else None),
        created_at=event.created_at,
    )


class ConsentCurrentOut(Schema):
    channel: str
    status: str = Field(..., description="granted, withdrawn, or empty if never asked")
    updated_at: dt.datetime | None


class ConsentsOut(Schema):
    current: list[ConsentCurrentOut]
    history: list[ConsentEventOut]


class ConsentEventPage(PageOut):
    items: list[ConsentEventOut]


# --- Custom field definitions ---------------------------------------------------------

class CustomFieldCreate(Input):
    target: str = Field("contact", description="contact or company")
    key: str = Field("", description="Letters, digits and underscores; made from the label if left out.")
    label: str
    field_type: str = Field(..., description="text, number, date, choice or boolean")
    choices: list[str] = Field(default_factory=list)
    required: bool = False
    position: int = 0


class CustomFieldUpdate(Input):
    label: str | None = None
    choices: list[str] | None = None
    required: bool | None = None
    position: int | None = None


class CustomFieldOut(Schema):
    id: int
    target: str
    key: str
    label: str
    field_type: str
    choices: list[str]
    required: bool
    position: int
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomFieldPage(PageOut):
    items: list[CustomFieldOut]
