"""Export people and companies: which rows, which columns, and the audit entry of each export.

An export takes any queryset of contacts (or companies) and an ordering. The list pages and
the API pass the queryset their filters build (`contacts.queries.filter_contacts`,
`filter_companies`); a segment will pass `contacts_with_ids(<its queryset of ids>)`.

Rows are read in keyset chunks (`core.pagination.keyset_page`), each chunk with a fixed
number of queries whatever its size (the rows, then their e-mails, phones, addresses and
tags), so memory stays flat and a million contacts cost a million rows read, not a million
queries. The file formats themselves are in `export_formats`.

The column headers are the English names the import recognises (`imports.mapping`), not
translated: an exported file can be imported again as it is, in any interface language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kliyan.contacts.choices import CustomFieldTarget
from kliyan.contacts.models import Address, Company, Contact, CustomFieldDefinition, EmailAddress, PhoneNumber
from kliyan.core.audit import record
from kliyan.core.errors import ValidationFailed
from kliyan.core.models import AuditAction
from kliyan.core.pagination import keyset_page
from kliyan.imports.choices import FileFormat, ImportTarget
from kliyan.imports.mapping import normalise_header

CHUNK_SIZE = 2000
# An Excel file is built before its download starts (a zip's directory comes last), at some
# 1,000-2,000 rows a second with openpyxl: past this many rows the wait outlasts a proxy's
# patience, so a longer list is sent to CSV, which streams and which Excel opens too.
XLSX_MAX_ROWS = 50_000
EXTENSIONS = {FileFormat.CSV: "csv", FileFormat.XLSX: "xlsx", FileFormat.VCARD: "vcf"}

# Phone kinds in column order; WhatsApp and fax numbers keep columns of their own so a
# spreadsheet shows them apart (imported again, a WhatsApp number becomes a mobile and the
# fax column is not read: the import has no field for faxes).
PHONE_COLUMNS = (
    ("mobile", "Mobile phone"), ("work", "Work phone"), ("home", "Home phone"), ("whatsapp", "WhatsApp"),
    ("fax", "Fax"), ("other", "Other phone"),
)
ADDRESS_HEADERS = ["Street", "Street (line 2)", "City", "Region", "Postal code", "Country"]
# Columns the import does not read back (its mapping leaves them out): the record's id, who
# owns it, where it came from and when it was archived.
TRAILING_HEADERS = ["Owner", "Source", "Archived"]
ID_HEADER = "Kliyan ID"
CONTACT_HEADERS = [
    ID_HEADER, "First name", "Last name", "E-mail", *(h for _k, h in PHONE_COLUMNS), "Company", "Job title",
    *ADDRESS_HEADERS, "Birthday", "Preferred language", "Notes", "Tags", *TRAILING_HEADERS,
]
COMPANY_HEADERS = [
    ID_HEADER, "Company name", "E-mail", *(h for _k, h in PHONE_COLUMNS), "Website", "Industry",
    *ADDRESS_HEADERS, "Notes", "Tags", *TRAILING_HEADERS,
]
# Several values in one cell (two e-mails, two mobiles) are joined like this; the import splits on it.
MULTI_SEPARATOR = "; "
TAG_SEPARATOR = ", "


@dataclass(slots=True)
class ExportRecord:
    """One person or company as every format shows it: plain values, primary e-mail and phone first."""

    id: int
    name: str
    is_company: bool = False
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    job_title: str = ""
    birthday: dt.date | None = None
    language: str = ""
    website: str = ""
    industry: str = ""
    notes: str = ""
    owner: str = ""
    source: str = ""
    archived_at: dt.datetime | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    emails: list[tuple[str, str]] = field(default_factory=list)  # (address, kind)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (E.164, kind)
    address: dict[str, str] | None = None  # the primary (else the first) address
    tags: list[str] = field(default_factory=list)


# --- Reading in chunks -------------------------------------------------------------------

def contacts_with_ids(ids: QuerySet | list[int]) -> QuerySet[Contact]:
    """Return the contacts whose ids a queryset (`values("id")`, a segment's members) or list holds."""
    return Contact.objects.filter(pk__in=ids)


# Plain values, not model instances: building a million models (and their caches) would
# cost more than reading the rows.
_CONTACT_COLUMNS = (
    "id", "first_name", "last_name", "display_name", "job_title", "birthday", "language", "notes", "custom_fields",
    "source", "archived_at", "created_at", "updated_at", "company__name", "owner__username",
)
_COMPANY_COLUMNS = ("id", "name", "website", "industry", "notes", "custom_fields", "source", "archived_at", "owner__username")


def contact_chunks(contacts: QuerySet[Contact], *, ordering: list[str], size: int = CHUNK_SIZE) -> Iterator[list[ExportRecord]]:
    """Yield the contacts as ExportRecords, `size` at a time, in `ordering` (which ends with a unique field)."""
    for chunk in _keyset_chunks(contacts.values_list(*_CONTACT_COLUMNS, named=True), ordering, size):
        yield _contact_records(chunk)


def company_chunks(companies: QuerySet[Company], *, ordering: list[str], size: int = CHUNK_SIZE) -> Iterator[list[ExportRecord]]:
    """Yield the companies as ExportRecords, `size` at a time, in `ordering`."""
    for chunk in _keyset_chunks(companies.values_list(*_COMPANY_COLUMNS, named=True), ordering, size):
        yield _company_records(chunk)


def _keyset_chunks(qs: QuerySet, ordering: list[str], size: int) -> Iterator[list[Any]]:
    # Keyset, not OFFSET: chunk 500 costs what chunk 1 does, and a row changed meanwhile is
    # neither repeated nor skipped unless its sort key moved. (Named rows answer the
    # attribute lookups keyset_page makes for the cursor, as models do.)
    cursor: str | None = None
    while True:
        page = keyset_page(qs, ordering=ordering, cursor=cursor, size=size)
        if page.items:
            yield page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _contact_records(rows: list[Any]) -> list[ExportRecord]:
    records = {
        r.id: ExportRecord(
            id=r.id, name=r.display_name, first_name=r.first_name, last_name=r.last_name, company=r.company__name or "",
            job_title=r.job_title, birthday=r.birthday, language=r.language, notes=r.notes, owner=r.owner__username or "",
            source=r.source, archived_at=r.archived_at, custom_fields=r.custom_fields or {},
        )
        for r in rows
    }
    _add_children(records, "contact_id", Contact.tags.through.objects.filter(contact_id__in=list(records)))
    return list(records.values())


def _company_records(rows: list[Any]) -> list[ExportRecord]:
    records = {
        r.id: ExportRecord(
            id=r.id, name=r.name, is_company=True, website=r.website, industry=r.industry, notes=r.notes,
            owner=r.owner__username or "", source=r.source, archived_at=r.archived_at, custom_fields=r.custom_fields or {},
        )
        for r in rows
    }
    _add_children(records, "company_id", Company.tags.through.objects.filter(company_id__in=list(records)))
    return list(records.values())


def _add_children(records: Mapping[int, ExportRecord], owner: str, tag_links: QuerySet) -> None:
    """Fill e-mails, phones, the address and tags of a chunk: four queries, whatever its size."""
    ids = list(records)
    of_chunk = {f"{owner}__in": ids}
    primary_first = ("-is_primary", "id")
    for owner_id, email, kind in EmailAddress.objects.filter(**of_chunk).order_by(*primary_first).values_list(owner, "email", "kind"):
        records[owner_id].emails.append((email, kind))
    for owner_id, e164, kind in PhoneNumber.objects.filter(**of_chunk).order_by(*primary_first).values_list(owner, "e164", "kind"):
        records[owner_id].phones.append((e164, kind))
    for row in Address.objects.filter(**of_chunk).order_by(*primary_first).values(
        owner, "kind", "street", "street2", "city", "region", "postal_code", "country",
    ):
        item = records[row.pop(owner)]
        if item.address is None:
            item.address = row
    for owner_id, name in tag_links.values_list(owner, "tag__name"):
        records[owner_id].tags.append(name)
    for item in records.values():
        item.tags.sort(key=str.casefold)


# --- Columns -----------------------------------------------------------------------------

def custom_headers(definitions: list[CustomFieldDefinition], taken: list[str]) -> list[str]:
    """Return a header per custom field: its label (which the import maps back), or its key if the label is taken."""
    used = {normalise_header(h) for h in taken}
    headers = []
    for definition in definitions:
        header = definition.label if normalise_header(definition.label) not in used else definition.key
        used.add(normalise_header(header))
        headers.append(header)
    return headers


def custom_text(value: Any) -> str:
    """Return a custom field's value the way the import reads it back (yes/no, ISO dates, plain numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _phone_cells(record: ExportRecord) -> list[str]:
    by_kind: dict[str, list[str]] = {}
    for number, kind in record.phones:
        by_kind.setdefault(kind if kind in dict(PHONE_COLUMNS) else "other", []).append(number)
    return [MULTI_SEPARATOR.join(by_kind.get(kind, [])) for kind, _header in PHONE_COLUMNS]


def _address_cells(record: ExportRecord) -> list[str]:
    address = record.address or {}
    return [address.get(k, "") or "" for k in ("street", "street2", "city", "region", "postal_code", "country")]


def _trailing_cells(record: ExportRecord, tz: dt.tzinfo | None) -> list[str]:
    archived = timezone.localtime(record.archived_at, tz).date().isoformat() if record.archived_at else ""
    return [record.owner, record.source, archived]


def contact_cells(record: ExportRecord, definitions: list[CustomFieldDefinition], tz: dt.tzinfo | None = None) -> list[str]:
    """Return the cells of one person in CONTACT_HEADERS order, then one per custom field (dates in `tz`)."""
    return [
        str(record.id), record.first_name, record.last_name, MULTI_SEPARATOR.join(e for e, _k in record.emails),
        *_phone_cells(record), record.company, record.job_title, *_address_cells(record),
        record.birthday.isoformat() if record.birthday else "", record.language, record.notes,
        TAG_SEPARATOR.join(record.tags), *_trailing_cells(record, tz),
        *(custom_text(record.custom_fields.get(d.key)) for d in definitions),
    ]


def company_cells(record: ExportRecord, definitions: list[CustomFieldDefinition], tz: dt.tzinfo | None = None) -> list[str]:
    """Return the cells of one company in COMPANY_HEADERS order, then one per custom field (dates in `tz`)."""
    return [
        str(record.id), record.name, MULTI_SEPARATOR.join(e for e, _k in record.emails), *_phone_cells(record),
        record.website, record.industry, *_address_cells(record), record.notes, TAG_SEPARATOR.join(record.tags),
        *_trailing_cells(record, tz), *(custom_text(record.custom_fields.get(d.key)) for d in definitions),
    ]


# --- One export ---------------------------------------------------------------------------

@dataclass
class ExportPlan:
    """An export that has been checked and audited: what the response writes, chunk by chunk."""

    target: str
    file_format: str
    rows: int
    file_name: str
    queryset: QuerySet
    ordering: list[str]
    definitions: list[CustomFieldDefinition]
    chunk_size: int = CHUNK_SIZE
    # The organisation's time zone, kept from the request: a streamed file is written after
    # the middleware has switched it off.
    tz: dt.tzinfo | None = None

    @property
    def headers(self) -> list[str]:
        standard = COMPANY_HEADERS if self.target == ImportTarget.COMPANIES else CONTACT_HEADERS
        return [*standard, *custom_headers(self.definitions, standard)]

    def record_chunks(self) -> Iterator[list[ExportRecord]]:
        chunks = company_chunks if self.target == ImportTarget.COMPANIES else contact_chunks
        return chunks(self.queryset, ordering=self.ordering, size=self.chunk_size)

    def row_chunks(self) -> Iterator[list[list[str]]]:
        cells = company_cells if self.target == ImportTarget.COMPANIES else contact_cells
        for chunk in self.record_chunks():
            yield [cells(record, self.definitions, self.tz) for record in chunk]


def export_file_name(target: str, file_format: str, day: dt.date | None = None) -> str:
    """Return e.g. kliyan-contacts-2026-11-05.csv (the day in the organisation's time zone)."""
    return f"kliyan-{target}-{(day or timezone.localdate()).isoformat()}.{EXTENSIONS[FileFormat(file_format)]}"


def check_format(file_format: str) -> str:
    if file_format not in FileFormat.values:
        raise ValidationFailed(field_errors={"format": [
            _("“%(value)s” is not an export format; choose csv, xlsx or vcard.") % {"value": file_format[:20]},
        ]})
    return file_format


def export_begin(
    *, actor: Any, target: str, file_format: str, queryset: QuerySet, ordering: list[str], filters: Mapping[str, Any],
    chunk_size: int = CHUNK_SIZE,
) -> ExportPlan:
    """Check the format, count the rows and write the export's audit entry; return the plan to write.

    The entry is written before the first byte leaves, so an export cut short (a closed
    browser, a crash) is still on record. `filters` are what the person asked for, kept in
    the entry as sent.
    """
    check_format(file_format)
    target = ImportTarget(target)
    rows = queryset.count()
    if file_format == FileFormat.XLSX and rows > XLSX_MAX_ROWS:
        raise ValidationFailed(field_errors={"format": [
            _("An Excel export holds at most %(limit)s rows and this list has %(count)s: narrow the filters, or export it as CSV.")
            % {"limit": number_format(XLSX_MAX_ROWS, force_grouping=True), "count": number_format(rows, force_grouping=True)},
        ]})
    definitions = list(CustomFieldDefinition.objects.active().filter(
        target=CustomFieldTarget.COMPANY if target == ImportTarget.COMPANIES else CustomFieldTarget.CONTACT,
    ))
    file_name = export_file_name(target, file_format)
    model = Company if target == ImportTarget.COMPANIES else Contact
    record(
        actor=actor, action=AuditAction.EXPORT, object_type_label=f"{model._meta.app_label}.{model._meta.model_name}",
        label=file_name, after={"format": file_format, "rows": rows, "filters": dict(filters)},
    )
    return ExportPlan(
        target=target, file_format=file_format, rows=rows, file_name=file_name, queryset=queryset, ordering=ordering,
        definitions=definitions, chunk_size=chunk_size, tz=timezone.get_current_timezone(),
    )
