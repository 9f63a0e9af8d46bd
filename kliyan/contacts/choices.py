from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailKind(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    WORK = "work", _("Work")
    OTHER = "other", _("Other")


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    WORK = "work", _("Work")
    HOME = "home", _("Home")
    WHATSAPP = "whatsapp", _("WhatsApp")
    FAX = "fax", _("Fax")
    OTHER = "other", _("Other")


class AddressKind(models.TextChoices):
    HOME = "home", _("Home")
    WORK = "work", _("Work")
    BILLING = "billing", _("Billing")
    DELIVERY = "delivery", _("Delivery")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    """How the customer found us."""

    WALK_IN = "walk_in", _("Walked into the shop")
    REFERRAL = "referral", _("Recommended by someone")
    INSTAGRAM = "instagram", _("Instagram")
    FACEBOOK = "facebook", _("Facebook")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WEBSITE = "website", _("Website")
    SEARCH = "search", _("Internet search")
    RADIO = "radio", _("Radio or TV")
    ADVERT = "advert", _("Poster or advert")
    EVENT = "event", _("Fair or event")
    IMPORT = "import", _("Imported")
    OTHER = "other", _("Other")


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("Phone")
    POST = "post", _("Post")


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentMethod(models.TextChoices):
    """How consent was given or withdrawn."""

    VERBAL = "verbal", _("Said so in person or by phone")
    WRITTEN = "written", _("Signed form")
    WEB_FORM = "web_form", _("Web form")
    MESSAGE = "message", _("Replied to a message")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    IMPORT = "import", _("Imported")
    API = "api", _("Another system (API)")
    OTHER = "other", _("Other")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes/no")


class CustomFieldTarget(models.TextChoices):
    CONTACT = "contact", _("People")
    COMPANY = "company", _("Companies")
