"""Which column goes to which field: the fields an import can fill, and a guess from the headers.

Headers are compared folded (no case, no accents, punctuation as spaces, numbering and
"value" dropped), so "Prénom", "PRENOM" and "prenom" are one, and Google's "E-mail 1 -
Value" reads as "e mail". Words mean different things in different languages: "Nom" is
the surname in French, "Non" the first name in Haitian Creole, "Nume" the surname and
"Prenume" the first name in Romanian, and "Name" alone the full name in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kliyan.core.errors import FieldErrors
from kliyan.core.text import fold
from kliyan.imports.choices import ImportTarget

CUSTOM_PREFIX = "custom:"
_NOT_WORD = re.compile(r"[^\w]+")
_DROPPED_WORDS = {"value", "valeur", "1", "2", "3", "4", "5"}


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str | Promise
    multiple: bool = False
    # Folded phrases that name this field exactly, in en, fr, ht, ny, sq and ro.
    synonyms: tuple[str, ...] = ()


def _s(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split("|") if p.strip())


FIRST_NAME = FieldSpec("first_name", gettext_lazy("First name"), synonyms=_s(
    "first name|firstname|first|given name|givenname|forename|prenom|prenoms|non|ti non|premye non|dzina|dzina loyamba"
    "|emri|emer|emri i pare|prenume"))
LAST_NAME = FieldSpec("last_name", gettext_lazy("Last name"), synonyms=_s(
    "last name|lastname|last|surname|family name|familyname|nom|nom de famille|siyati|non fanmi|dzina la banja"
    "|dzina lomaliza|mbiemri|mbiemer|nume|nume de familie"))
FULL_NAME = FieldSpec("full_name", gettext_lazy("Full name (split into first and last)"), synonyms=_s(
    "name|full name|fullname|display name|contact name|contact|nom complet|non konple|dzina lonse|emri i plote"
    "|emri dhe mbiemri|nume complet|nume si prenume|nume prenume"))
EMAIL = FieldSpec("email", gettext_lazy("E-mail"), multiple=True, synonyms=_s(
    "email|e mail|mail|email address|e mail address|courriel|adresse email|adresse e mail|adresse mail|imel|adres imel"
    "|imelo|adilesi ya imelo|posta elektronike|adresa email|adresa e mail|adresa de email|adresa de e mail"))
PHONE = FieldSpec("phone", gettext_lazy("Mobile phone"), multiple=True, synonyms=_s(
    "phone|phone number|telephone|tel|mobile|mobile phone|cell|cell phone|cellphone|portable|numero|numero de telephone"
    "|telefon|telefonn|nimewo|nimewo telefon|selil|foni|nambala|nambala ya foni|lamya|telefoni|numri i telefonit|celular"
    "|mobil|numar de telefon|numar telefon|gsm|whatsapp"))
PHONE_WORK = FieldSpec("phone_work", gettext_lazy("Work phone"), multiple=True, synonyms=_s(
    "work phone|business phone|office phone|telephone professionnel|telephone bureau|telephone travail|tel pro"
    "|telefon travay|foni ya ku ntchito|telefoni i punes|telefon serviciu|telefon birou"))
PHONE_HOME = FieldSpec("phone_home", gettext_lazy("Home phone"), multiple=True, synonyms=_s(
    "home phone|telephone domicile|telephone fixe|fixe|telefon lakay|foni ya kunyumba|telefoni i shtepise"
    "|telefon fix|telefon acasa"))
PHONE_OTHER = FieldSpec("phone_other", gettext_lazy("Other phone"), multiple=True, synonyms=_s(
    "other phone|autre telephone|lot telefon|foni ina|telefon tjeter|alt telefon"))
COMPANY = FieldSpec("company", gettext_lazy("Company"), synonyms=_s(
    "company|company name|organisation|organization|organisation name|organization name|business|employer|account"
    "|entreprise|societe|nom de l entreprise|konpayi|antrepriz|biznis|kampani|bizinesi|kompania|kompani|firma|biznesi"
    "|companie|compania|organizatie|societate"))
JOB_TITLE = FieldSpec("job_title", gettext_lazy("Job title"), synonyms=_s(
    "job title|title|position|role|fonction|poste|titre|pozisyon|tit|udindo|ntchito|pozicioni|titulli|detyra|functie"
    "|post|titlu|job"))
STREET = FieldSpec("street", gettext_lazy("Street"), synonyms=_s(
    "street|address|street address|address line 1|adresse|rue|adres|ri|adilesi|msewu|adresa|rruga|strada"))
CITY = FieldSpec("city", gettext_lazy("City"), synonyms=_s(
    "city|town|locality|ville|commune|vil|lavil|komin|mzinda|tawuni|qyteti|qytet|oras|localitate|localitatea"))
REGION = FieldSpec("region", gettext_lazy("Region"), synonyms=_s(
    "region|state|province|county|departement|depatman|chigawo|boma|rajoni|qarku|prefektura|judet|regiune"))
POSTAL_CODE = FieldSpec("postal_code", gettext_lazy("Postal code"), synonyms=_s(
    "postal code|postcode|zip|zip code|zipcode|code postal|kod postal|khodi ya positi|kodi postar|cod postal"))
COUNTRY = FieldSpec("country", gettext_lazy("Country"), synonyms=_s(
    "country|country code|pays|peyi|dziko|shteti|vendi|tara|tara de origine"))
BIRTHDAY = FieldSpec("birthday", gettext_lazy("Birthday"), synonyms=_s(
    "birthday|birth date|birthdate|date of birth|dob|born|date de naissance|anniversaire|ne le|dat nesans|anivese"
    "|dat fet|tsiku lobadwa|tsiku lakubadwa|datelindja|ditelindja|data e lindjes|data nasterii|data de nastere"
    "|zi de nastere|ziua de nastere"))
LANGUAGE = FieldSpec("language", gettext_lazy("Preferred language"), synonyms=_s(
    "language|preferred language|langue|langue preferee|lang|chilankhulo|gjuha|limba|limba preferata"))
NOTES = FieldSpec("notes", gettext_lazy("Notes"), synonyms=_s(
    "notes|note|comments|comment|remarks|description|remarques|commentaire|commentaires|not|kòmante|komante"
    "|zolemba|ndemanga|shenime|shenim|komente|koment|note|observatii|comentarii|mentiuni"))
TAGS = FieldSpec("tags", gettext_lazy("Tags"), synonyms=_s(
    "tags|tag|labels|label|groups|group membership|categories|category|etiquettes|etiquette|categorie|etiket|gwoup"
    "|zizindikiro|magulu|etiketa|etiketat|grupet|etichete|eticheta|grupuri|categorii"))
WEBSITE = FieldSpec("website", gettext_lazy("Website"), synonyms=_s(
    "website|web site|web|url|site|site web|site internet|sit entenet|sit web|webusayiti|faqja web|faqe interneti"
    "|uebfaqe|site ul|pagina web"))
INDUSTRY = FieldSpec("industry", gettext_lazy("Industry"), synonyms=_s(
    "industry|sector|activity|secteur|secteur d activite|activite|sekte|domen|gawo|makampani|industria|sektori"
    "|veprimtaria|industrie|domeniu|domeniu de activitate"))
COMPANY_NAME = FieldSpec("name", gettext_lazy("Company name"), synonyms=_s(
    "name|company|company name|organisation|organization|business|business name|account|account name|nom|entreprise"
    "|societe|raison sociale|nom de l entreprise|non|konpayi|antrepriz|non konpayi|biznis|dzina|kampani|dzina la kampani"
    "|emri|kompania|emri i kompanise|firma|nume|companie|denumire|nume companie|societate"))

_ADDRESS = (STREET, CITY, REGION, POSTAL_CODE, COUNTRY)
CONTACT_FIELDS: tuple[FieldSpec, ...] = (
    FIRST_NAME, LAST_NAME, FULL_NAME, EMAIL, PHONE, PHONE_WORK, PHONE_HOME, PHONE_OTHER, COMPANY, JOB_TITLE,
    *_ADDRESS, BIRTHDAY, LANGUAGE, NOTES, TAGS,
)
COMPANY_FIELDS: tuple[FieldSpec, ...] = (
    COMPANY_NAME, EMAIL, PHONE, PHONE_WORK, PHONE_OTHER, WEBSITE, INDUSTRY, *_ADDRESS, NOTES, TAGS,
)

# Products and orders (kliyan.imports.commerce): the fields of the commerce ingestion records.
SKU = FieldSpec("sku", gettext_lazy("SKU (product code)"), synonyms=_s(
    "sku|code|product code|item code|reference|ref|article code|barcode|code article|code produit|reference produit"
    "|code barre|kod|kod pwodwi|kod atik|kodi|kodi ya katundu|kodi e produktit|kodi i artikullit|cod|cod produs|cod articol"))
PRODUCT_NAME = FieldSpec("name", gettext_lazy("Product name"), synonyms=_s(
    "name|product|product name|item|item name|nom|produit|nom du produit|article|libelle|designation|non|pwodwi"
    "|non pwodwi|atik|dzina|katundu|dzina la katundu|emri|produkti|emri i produktit|artikulli|nume|produs|denumire"
    "|nume produs|articol"))
CATEGORY = FieldSpec("category", gettext_lazy("Category (e.g. Shoes/Children)"), synonyms=_s(
    "category|categories|family|product category|categorie|famille|rayon|kategori|fanmi|gulu|mtundu|kategoria|grupi"
    "|familja|categoria|familie|categorie produs"))
PRICE = FieldSpec("price", gettext_lazy("Price"), synonyms=_s(
    "price|sale price|selling price|unit price|prix|prix de vente|prix unitaire|pri|pri vant|mtengo|mtengo wogulitsira"
    "|cmimi|cmimi i shitjes|pret|pret de vanzare|pret unitar"))
CURRENCY = FieldSpec("currency", gettext_lazy("Currency (ISO code such as HTG)"), synonyms=_s(
    "currency|currency code|devise|monnaie|lajan|deviz|ndalama|mtundu wa ndalama|monedha|valuta|moneda"))
COST = FieldSpec("cost", gettext_lazy("Cost"), synonyms=_s(
    "cost|cost price|purchase price|cout|cout d achat|prix d achat|kou|pri acha|mtengo wogulira|kosto|cmimi i blerjes"
    "|cost achizitie|pret de achizitie|pret achizitie"))
ACTIVE = FieldSpec("active", gettext_lazy("On sale (yes or no)"), synonyms=_s(
    "active|enabled|on sale|available|actif|en vente|disponible|aktif|disponib|an vant|ikugwira ntchito|ilipo"
    "|aktiv|ne shitje|i disponueshem|activ|disponibil|in vanzare"))
EXTERNAL_ID = FieldSpec("external_id", gettext_lazy("Id in the other system"), synonyms=_s(
    "external id|id|external reference|identifiant|id externe|identifiant externe|idantifyan|nambala yakunja"
    "|id e jashtme|identifikues|id extern|identificator"))
CHANGED_AT = FieldSpec("updated_at", gettext_lazy("Changed at (the newest version wins)"), synonyms=_s(
    "updated at|updated|last modified|modified|changed|changed at|date de modification|modifie le|mis a jour"
    "|dat modifikasyon|tsiku losintha|data e ndryshimit|ndryshuar|modificat|data modificarii|actualizat"))
ORDER_NUMBER = FieldSpec("number", gettext_lazy("Order number"), synonyms=_s(
    "order|order number|order no|order id|order ref|number|commande|numero de commande|n commande|no commande|n de commande"
    "|no de commande"
    "|numero commande|komand|nimewo komand|oda|nambala ya oda|porosia|numri i porosise|nr porosie|comanda|numar comanda"
    "|nr comanda|numarul comenzii"))
ORDERED_AT = FieldSpec("ordered_at", gettext_lazy("Order date"), synonyms=_s(
    "date|order date|ordered at|ordered on|date de commande|date commande|dat|dat komand|tsiku|tsiku la oda|data"
    "|data e porosise|data comenzii|data comanda"))
ORDER_STATUS = FieldSpec("status", gettext_lazy("Order status"), synonyms=_s(
    "status|order status|statut|etat|statut commande|eta|estati|mkhalidwe|statusi|gjendja|stare|starea|stare comanda"))
SALES_CHANNEL = FieldSpec("sales_channel", gettext_lazy("Sold through"), synonyms=_s(
    "channel|sales channel|canal|canal de vente|kanal|kanal vant|njira|njira yogulitsira|kanali|kanali i shitjes"
    "|canal de vanzare"))
ORDER_NOTE = FieldSpec("note", gettext_lazy("Order note"), synonyms=_s(
    "note|notes|comment|comments|order note|remarque|commentaire|not|komante|ndemanga|zolemba|shenim|shenime|koment"
    "|nota|observatii|comentariu"))
CUSTOMER_EMAIL = FieldSpec("contact_email", gettext_lazy("Customer's e-mail"), synonyms=_s(
    "email|e mail|customer email|client email|customer e mail|courriel|courriel client|email client|imel|imel kliyan"
    "|imelo|imelo ya kasitomala|email klienti|posta elektronike e klientit|e mail client"))
CUSTOMER_PHONE = FieldSpec("contact_phone", gettext_lazy("Customer's phone"), synonyms=_s(
    "phone|telephone|customer phone|client phone|telephone client|tel client|telefon|telefon kliyan|foni"
    "|foni ya kasitomala|telefoni|telefoni i klientit|telefon client"))
ORDER_DISCOUNT = FieldSpec("discount", gettext_lazy("Order discount (amount)"), synonyms=_s(
    "order discount|discount on order|remise commande|remise sur commande|rabe komand|kuchotsera pa oda"
    "|zbritje porosie|zbritja e porosise|reducere comanda|discount comanda"))
TAX = FieldSpec("tax", gettext_lazy("Tax"), synonyms=_s(
    "tax|taxes|vat|sales tax|tva|taxe|taks|msonkho|tatim|tatimi|tvsh|taxa|taxe comanda"))
ORDER_TOTAL = FieldSpec("total", gettext_lazy("Order total (checked against the lines)"), synonyms=_s(
    "total|order total|total commande|montant total|total komand|ndalama zonse|totali|totali i porosise|total comanda"))
LINE_SKU = FieldSpec("line_sku", gettext_lazy("Line: product SKU"), synonyms=SKU.synonyms)
LINE_DESCRIPTION = FieldSpec("line_description", gettext_lazy("Line: description"), synonyms=_s(
    "description|product|item|product name|designation|libelle|article|produit|deskripsyon|pwodwi|atik|kufotokoza"
    "|katundu|pershkrim|pershkrimi|produkti|artikulli|descriere|produs|articol"))
LINE_QUANTITY = FieldSpec("line_quantity", gettext_lazy("Line: quantity"), synonyms=_s(
    "quantity|qty|quantite|qte|nombre|kantite|kuchuluka|chiwerengero|sasia|sasi|cantitate|cant"))
LINE_UNIT_PRICE = FieldSpec("line_unit_price", gettext_lazy("Line: unit price"), synonyms=_s(
    "unit price|price|prix|prix unitaire|pu|pri|pri inite|mtengo|mtengo umodzi|cmimi|cmimi njesi|cmimi per njesi|pret"
    "|pret unitar"))
LINE_DISCOUNT = FieldSpec("line_discount", gettext_lazy("Line: discount (amount)"), synonyms=_s(
    "discount|line discount|remise|rabais|remise ligne|rabe|kuchotsera|zbritje|zbritja|reducere|discount linie"))

PRODUCT_FIELDS: tuple[FieldSpec, ...] = (SKU, PRODUCT_NAME, CATEGORY, PRICE, CURRENCY, COST, ACTIVE, EXTERNAL_ID, CHANGED_AT)
ORDER_FIELDS: tuple[FieldSpec, ...] = (
    ORDER_NUMBER, ORDERED_AT, CURRENCY, ORDER_STATUS, SALES_CHANNEL, ORDER_NOTE, CUSTOMER_EMAIL, CUSTOMER_PHONE,
    ORDER_DISCOUNT, TAX, ORDER_TOTAL, LINE_SKU, LINE_DESCRIPTION, LINE_QUANTITY, LINE_UNIT_PRICE, LINE_DISCOUNT, CHANGED_AT,
)
# The fields a commerce file must map, and a message for each missing one.
REQUIRED = {
    ImportTarget.PRODUCTS: (("sku",), ("name",), ("price",)),
    ImportTarget.ORDERS: (("number",), ("ordered_at",), ("line_quantity",), ("line_unit_price",), ("line_sku", "line_description")),
}

# Word rules for headers no synonym names exactly, tried in order ("Address 1 - City" → city).
_PHONE_WORDS = {"phone", "telephone", "tel", "mobile", "cell", "cellphone", "portable", "telefon", "foni", "mobil",
                "celular", "selil", "gsm", "whatsapp", "telefoni", "lamya"}
_WORK_WORDS = {"work", "business", "office", "bureau", "pro", "professionnel", "travail", "travay", "serviciu", "punes",
               "ntchito", "birou"}
_HOME_WORDS = {"home", "domicile", "fixe", "lakay", "acasa", "fix", "shtepise", "kunyumba", "private", "prive"}
_OTHER_WORDS = {"other", "autre", "lot", "ina", "tjeter", "alt"}
_WORD_RULES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"type", "label", "tip", "kind"}), ""),
    (frozenset({"email", "mail", "courriel", "imel", "imelo"}), "email"),
    (frozenset({"city", "town", "ville", "vil", "mzinda", "qyteti", "oras", "localitate", "locality"}), "city"),
    (frozenset({"region", "state", "province", "county", "departement", "depatman", "chigawo", "rajoni", "judet"}), "region"),
    (frozenset({"zip", "postcode", "postal", "postale", "postar"}), "postal_code"),
    (frozenset({"country", "pays", "peyi", "dziko", "shteti", "tara"}), "country"),
    (frozenset({"street", "address", "adresse", "adres", "rue", "adilesi", "adresa", "strada", "rruga", "msewu"}), "street"),
    (frozenset({"birthday", "birth", "naissance", "nesans", "datelindja", "ditelindja", "nasterii", "nastere", "lobadwa"}), "birthday"),
    (frozenset({"title", "position", "fonction", "poste", "titre", "pozisyon", "functie", "titlu", "pozicioni"}), "job_title"),
    (frozenset({"company", "organisation", "organization", "entreprise", "societe", "konpayi", "kampani", "kompania",
                "companie", "employer"}), "company"),
    (frozenset({"first", "given", "prenom", "prenume"}), "first_name"),
    (frozenset({"last", "family", "surname", "mbiemri"}), "last_name"),
    (frozenset({"note", "notes", "comment", "comments", "remarques", "shenime", "observatii"}), "notes"),
    (frozenset({"tag", "tags", "labels", "groups", "etiquettes", "etiketa", "etichete"}), "tags"),
    (frozenset({"language", "langue", "gjuha", "limba", "chilankhulo"}), "language"),
    (frozenset({"website", "url", "web", "site"}), "website"),
)


def normalise_header(header: str) -> str:
    """Return a header folded for comparison: "E-mail 1 - Value" → "e mail", "Prénom" → "prenom"."""
    words = [w for w in _NOT_WORD.sub(" ", fold(header or "")).replace("_", " ").split() if w not in _DROPPED_WORDS]
    return " ".join(words)


def fields_for(target: str) -> tuple[FieldSpec, ...]:
    return {
        ImportTarget.COMPANIES: COMPANY_FIELDS, ImportTarget.PRODUCTS: PRODUCT_FIELDS, ImportTarget.ORDERS: ORDER_FIELDS,
    }.get(target, CONTACT_FIELDS)


def field_choices(target: str, custom_fields: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """Return (key, label) for every field a column may go to, "" first (ignore the column)."""
    choices = [("", _("— Do not import —"))]
    choices += [(f.key, str(f.label)) for f in fields_for(target)]
    choices += [(f"{CUSTOM_PREFIX}{key}", label) for key, label in custom_fields]
    return choices


def _guess_one(header: str, target: str, specs: Sequence[FieldSpec], custom: Mapping[str, str]) -> str:
    name = normalise_header(header)
    if not name:
        return ""
    if name in custom:
        return custom[name]
    for spec in specs:
        if name in spec.synonyms:
            return spec.key
    words = set(name.split())
    keys = {s.key for s in specs}
    if target in (ImportTarget.PRODUCTS, ImportTarget.ORDERS):
        return ""  # the word rules below know people's and companies' columns only
    if words & _PHONE_WORDS:
        if words & _WORK_WORDS:
            return "phone_work" if "phone_work" in keys else "phone"
        if words & _HOME_WORDS:
            return "phone_home" if "phone_home" in keys else "phone"
        if words & _OTHER_WORDS:
            return "phone_other"
        if words & {"type", "label", "tip", "kind"}:
            return ""
        return "phone"
    for rule_words, key in _WORD_RULES:
        if words & rule_words:
            if key == "company" and target == ImportTarget.COMPANIES:
                return "name"
            return key if key in keys or key == "" else ""
    return ""


def guess_mapping(
    headers: Sequence[str], target: str = ImportTarget.CONTACTS, custom_fields: Iterable[tuple[str, str]] = (),
) -> dict[str, str]:
    """Return header → field key for every header ("" when nothing fits), each single field used once.

    `custom_fields` are (key, label) pairs of the organisation's custom fields; a header
    naming one by label or key goes to it.
    """
    specs = fields_for(target)
    multiple = {s.key for s in specs if s.multiple}
    custom: dict[str, str] = {}
    for key, label in custom_fields:
        custom.setdefault(normalise_header(label), f"{CUSTOM_PREFIX}{key}")
        custom.setdefault(normalise_header(key), f"{CUSTOM_PREFIX}{key}")
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = _guess_one(header, target, specs, custom)
        if key and key not in multiple and key in taken:
            key = ""
        if key:
            taken.add(key)
        mapping[header] = key
    return mapping


def check_mapping(
    mapping: Mapping[str, str], headers: Sequence[str], target: str, custom_keys: Iterable[str], errors: FieldErrors,
) -> dict[str, str]:
    """Return the mapping restricted to known headers and fields; add an error per wrong entry."""
    specs = fields_for(target)
    known = {s.key for s in specs} | {f"{CUSTOM_PREFIX}{k}" for k in custom_keys}
    multiple = {s.key for s in specs if s.multiple}
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    # In the file's column order, so "the first column wins" means the same on every database.
    for header in [*(h for h in headers if h in mapping), *(h for h in mapping if h not in headers)]:
        key = str(mapping[header] or "")
        if header not in headers:
            errors.add(f"mapping.{header}", _("The file has no column “%(column)s”.") % {"column": header})
            continue
        if key and key not in known:
            errors.add(f"mapping.{header}", _("“%(field)s” is not a field that can be imported.") % {"field": key})
            continue
        if key and key not in multiple and key in used:
            errors.add(
                f"mapping.{header}",
                _("“%(column)s” already goes to this field; choose it for one column only.") % {"column": used[key]},
            )
            continue
        used.setdefault(key, header)
        cleaned[header] = key
    for header in headers:
        cleaned.setdefault(header, "")
    keys = set(cleaned.values())
    if target in REQUIRED:
        labels = {s.key: s.label for s in specs}
        for alternatives in REQUIRED[target]:
            if not keys & set(alternatives):
                names = " / ".join(str(labels[key]) for key in alternatives)
                errors.add("mapping", _("Choose the column that holds: %(field)s.") % {"field": names})
    elif target == ImportTarget.COMPANIES:
        if "name" not in keys:
            errors.add("mapping", _("Choose the column that holds the company name."))
    elif not keys & {"first_name", "last_name", "full_name"}:
        errors.add("mapping", _("Choose at least one column for the name (first name, last name or full name)."))
    return cleaned
