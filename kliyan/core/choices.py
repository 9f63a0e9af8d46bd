"""Choices shared by several apps: languages, currencies, channels of contact."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    EN = "en", "English"
    FR = "fr", "Français"
    HT = "ht", "Kreyòl ayisyen"
    NY = "ny", "Chichewa"
    SQ = "sq", "Shqip"
    RO = "ro", "Română"


class Currency(models.TextChoices):
    HTG = "HTG", _("Haitian gourde (HTG)")
    MWK = "MWK", _("Malawian kwacha (MWK)")
    ALL = "ALL", _("Albanian lek (ALL)")
    RON = "RON", _("Romanian leu (RON)")
    EUR = "EUR", _("Euro (EUR)")
    USD = "USD", _("US dollar (USD)")


class Country(models.TextChoices):
    HT = "HT", _("Haiti")
    MW = "MW", _("Malawi")
    AL = "AL", _("Albania")
    RO = "RO", _("Romania")
    FR = "FR", _("France")
    US = "US", _("United States")
    CA = "CA", _("Canada")
    DO = "DO", _("Dominican Republic")
    MD = "MD", _("Moldova")
    XK = "XK", _("Kosovo")
    BE = "BE", _("Belgium")
    CH = "CH", _("Switzerland")
    GB = "GB", _("United Kingdom")
    ZA = "ZA", _("South Africa")
    ZM = "ZM", _("Zambia")
    MZ = "MZ", _("Mozambique")
    TZ = "TZ", _("Tanzania")
    IT = "IT", _("Italy")
    DE = "DE", _("Germany")
    GR = "GR", _("Greece")


class Channel(models.TextChoices):
    """The ways a customer and the business reach each other."""

    INSTAGRAM = "instagram", _("Instagram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    FACEBOOK = "facebook", _("Facebook")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")
    FAX = "fax", _("Fax")
    STORE = "store", _("Store visit")
    WEBSITE = "website", _("Website")
    LETTER = "letter", _("Letter")
    CHAT = "chat", _("Chat")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")
