"""People, companies and what identifies them: e-mails, phones, addresses, consent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kliyan.contacts.choices import (
    AddressKind,
    ConsentChannel,
    ConsentMethod,
    ConsentStatus,
    CustomFieldTarget,
    CustomFieldType,
    EmailKind,
    PhoneKind,
    Source,
)
from kliyan.core.choices import Channel, Country, Language


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Interest(models.Model):
    """A product category or service a customer cares about (for targeted offers)."""

    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArchivableQuerySet(models.QuerySet):
    def active(self) -> "ArchivableQuerySet":
        return self.filter(archived_at__isnull=True)

    def archived(self) -> "ArchivableQuerySet":
        return self.filter(archived_at__isnull=False)


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200)
    website = models.URLField(_("website"), blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="owned_companies",
    )
    source = models.CharField(_("how they found us"), max_length=20, choices=Source.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="companies")
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    primary_email = models.CharField(_("e-mail"), max_length=254, blank=True)
    primary_phone = models.CharField(_("phone"), max_length=20, blank=True)
    search_text = models.TextField(blank=True, editable=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="company_name_idx"),
            # Imports find a row's company by its name, case aside (kliyan.imports.matching).
            models.Index(Lower("name"), name="company_lower_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("contacts:company_detail", args=[self.pk])


class Contact(models.Model):
    """A person the business deals with; may belong to a company."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    display_name = models.CharField(_("name"), max_length=210, editable=False)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="people",
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # "MM-DD", kept so "today's birthdays" is one indexed lookup.
    birthday_md = models.CharField(max_length=5, blank=True, editable=False, db_index=True)
    language = models.CharField(_("preferred language"), max_length=8, choices=Language.choices, blank=True)
    preferred_channel = models.CharField(_("preferred channel"), max_length=20, choices=Channel.choices, blank=True)
    interests = models.ManyToManyField(Interest, verbose_name=_("interests"), blank=True, related_name="contacts")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="contacts")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="owned_contacts",
    )
    source = models.CharField(_("how they found us"), max_length=20, choices=Source.choices, blank=True)
    source_detail = models.CharField(_("source details"), max_length=200, blank=True)
    referred_by = models.ForeignKey(
        "self", verbose_name=_("referred by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="referrals",
    )
    notes = models.TextField(_("notes"), blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    primary_email = models.CharField(_("e-mail"), max_length=254, blank=True)
    primary_phone = models.CharField(_("phone"), max_length=20, blank=True)
    search_text = models.TextField(blank=True, editable=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    # Set when this contact was merged into another (kliyan.dedupe): the row stays, archived and
    # emptied of its records, so old links, ids held by other systems and audit entries lead to
    # the survivor. Erasing the survivor erases these tombstones with it (they name the person).
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, editable=False,
        on_delete=models.CASCADE, related_name="merged_contacts",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["display_name", "id"]
        indexes = [
            models.Index(fields=["display_name", "id"], name="contact_name_idx"),
            models.Index(fields=["updated_at", "id"], name="contact_updated_idx"),
            models.Index(fields=["created_at", "id"], name="contact_created_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("contacts:contact_detail", args=[self.pk])

    @property
    def greeting_name(self) -> str:
        return self.first_name or self.display_name


class _BelongsToContactOrCompany(models.Model):
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="%(class)ss")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.CASCADE, related_name="%(class)ss")
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        abstract = True

    @classmethod
    def one_owner(cls, name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=Q(contact__isnull=False, company__isnull=True) | Q(contact__isnull=True, company__isnull=False),
            name=name,
        )


class EmailAddress(_BelongsToContactOrCompany):
    email = models.EmailField(_("e-mail"), db_index=True)
    kind = models.CharField(_("type"), max_length=12, choices=EmailKind.choices, default=EmailKind.PERSONAL)

    class Meta:
        verbose_name = _("e-mail address")
        verbose_name_plural = _("e-mail addresses")
        ordering = ["-is_primary", "id"]
        constraints = [_BelongsToContactOrCompany.one_owner("email_one_owner")]

    def __str__(self) -> str:
        return self.email


class PhoneNumber(_BelongsToContactOrCompany):
    e164 = models.CharField(_("phone"), max_length=20, db_index=True)
    # The last 8 digits: matches a caller however the number reaches us.
    caller_key = models.CharField(max_length=8, db_index=True)
    kind = models.CharField(_("type"), max_length=12, choices=PhoneKind.choices, default=PhoneKind.MOBILE)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        ordering = ["-is_primary", "id"]
        constraints = [_BelongsToContactOrCompany.one_owner("phone_one_owner")]

    def __str__(self) -> str:
        return self.e164


class Address(_BelongsToContactOrCompany):
    kind = models.CharField(_("type"), max_length=12, choices=AddressKind.choices, default=AddressKind.HOME)
    street = models.CharField(_("street"), max_length=200, blank=True)
    street2 = models.CharField(_("street (line 2)"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices, blank=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_primary", "id"]
        constraints = [_BelongsToContactOrCompany.one_owner("address_one_owner")]

    def __str__(self) -> str:
        return ", ".join(p for p in [self.street, self.street2, self.city, self.region, self.postal_code, self.country] if p)


class CustomFieldDefinition(models.Model):
    """A field an admin adds to people or companies; values live in `custom_fields` JSON."""

    target = models.CharField(_("applies to"), max_length=10, choices=CustomFieldTarget.choices, default=CustomFieldTarget.CONTACT)
    key = models.SlugField(_("key"), max_length=50, help_text=_("Letters, digits and underscores; used in the API."))
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=10, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["target", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["target", "key"], name="customfield_unique_key")]

    def __str__(self) -> str:
        return self.label


class Consent(models.Model):
    """The current consent of a contact for one channel (the latest ConsentEvent)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=ConsentStatus.choices)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["channel"]
        constraints = [models.UniqueConstraint(fields=["contact", "channel"], name="consent_one_per_channel")]
        indexes = [models.Index(fields=["channel", "status"], name="consent_channel_status_idx")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.status}"


class ConsentEvent(models.Model):
    """One grant or withdrawal: when, how and by whom. Never edited, never deleted."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=ConsentStatus.choices)
    method = models.CharField(_("how"), max_length=12, choices=ConsentMethod.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    at = models.DateTimeField(_("when"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["contact", "-at"], name="consentevent_contact_idx")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.status} ({self.at:%Y-%m-%d})"
