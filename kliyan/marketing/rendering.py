"""The template language of messages: checking a text when it is saved, and rendering it per contact.

A message template is Django template syntax compiled by a locked-down engine
(docs/decisions/0011): no loaders, no tag but `if`/`elif`/`else`/`endif`, the filters
`default`, `upper`, `lower`, `title` and `date`, and only the variables of PLACEHOLDERS.
Everything is checked when the text is saved (`validate_text`), so a campaign never finds
a typo in its ten-thousandth message. Messages are plain text on every channel: nothing is
HTML-escaped.

Rendering many messages: `contexts_for` reads the placeholder values of a batch of contacts
in a constant number of queries; `render` reuses the compiled text (cached per text id and
`updated_at`) and only fills it in.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Min, OuterRef, Subquery, Sum
from django.template import Context, Engine, Library, Template, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import FilterExpression, Lexer, Node, Parser, Token, VariableNode, render_value_in_context
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kliyan.commerce.choices import PURCHASE_STATUSES
from kliyan.commerce.models import Order, OrderLine
from kliyan.commerce.money import WIDE, ZERO, organisation_currency, organisation_timezone, organisation_today, quantize, rate_on_order_day
from kliyan.contacts.models import Address, Contact
from kliyan.core.choices import Country, Language
from kliyan.core.errors import FieldErrors, ValidationFailed
from kliyan.core.organisation import get_organisation
from kliyan.core.templatetags.kliyan import kmoney
from kliyan.marketing.choices import MessageChannel
from kliyan.marketing.models import MessageTemplate, TemplateText

# What a template may say about the person it goes to: name → what the editor shows beside it.
PLACEHOLDERS: dict[str, Promise] = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "name": gettext_lazy("Full name as shown in Kliyan"),
    "greeting_name": gettext_lazy("First name, or the full name when there is none"),
    "company": gettext_lazy("Their company's name"),
    "job_title": gettext_lazy("Job title"),
    "city": gettext_lazy("City of their main address"),
    "country": gettext_lazy("Country of their main address"),
    "birthday": gettext_lazy("Birthday (a date: {{ birthday|date:\"j F\" }})"),
    "organisation": gettext_lazy("Your organisation's name"),
    "owner_name": gettext_lazy("The colleague in charge of this customer"),
    "last_product": gettext_lazy("Product of their latest purchase"),
    "last_order_number": gettext_lazy("Number of their latest purchase"),
    "last_order_date": gettext_lazy("Date of their latest purchase"),
    "first_purchase_date": gettext_lazy("Date of their first purchase"),
    "customer_years": gettext_lazy("Whole years since their first purchase"),
    "order_count": gettext_lazy("How many purchases they made"),
    "lifetime_spend": gettext_lazy("Everything they spent, in your currency"),
    "coupon_code": gettext_lazy("The coupon code of the campaign or automation"),
    "unsubscribe_url": gettext_lazy("Link to stop receiving these messages"),
    "survey_url": gettext_lazy("Link to the satisfaction survey"),
}
# Not read from the database: the campaign, the automation or the outbox gives them (`extra`).
EXTRA_PLACEHOLDERS = ("coupon_code", "unsubscribe_url", "survey_url")
TAGS = ("if", "elif", "else", "endif")
FILTERS = ("default", "upper", "lower", "title", "date")

# Longest text a channel carries: Twilio concatenates up to 1,600 characters, WhatsApp's
# Cloud API takes 4,096, Messenger 2,000 and Instagram 1,000. E-mail has no real limit; a
# template longer than this is a mistake (a pasted file), not a message.
BODY_LIMITS = {
    MessageChannel.EMAIL: 100_000,
    MessageChannel.SMS: 1_600,
    MessageChannel.WHATSAPP: 4_096,
    MessageChannel.FACEBOOK: 2_000,
    MessageChannel.INSTAGRAM: 1_000,
}
SUBJECT_MAX = 200
# Contacts read per round of contexts_for: keeps `IN (…)` under every backend's parameter limit.
CONTEXT_CHUNK = 2_000
_DJANGO_LINE = re.compile(r" on line \d+")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


# --- The locked-down engine -------------------------------------------------------------

_library = Library()
_library.tag("if", defaulttags.do_if)
for _name in FILTERS:
    # The functions of Django's own filters, flags and all (`date` expects local time).
    _library.filter(_name, getattr(defaultfilters, _name))


class _Engine(Engine):
    # Django's defaulttags, defaultfilters and loader_tags would come back through the defaults.
    default_builtins: list[str] = []

    def get_template_builtins(self, builtins: list[str]) -> list[Library]:
        return [_library]


_engine = _Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid="")


class _Parser(Parser):
    """Django's parser with the errors of a template writer, translated, and every variable checked."""

    last_token: Token | None = None

    def next_token(self) -> Token:
        # Remembered so a bad variable in an {% elif %} is reported on the elif's line.
        self.last_token = super().next_token()
        return self.last_token

    def compile_filter(self, token: str) -> FilterExpression:
        expression = super().compile_filter(token)
        for name in _variables_of(expression):
            if name not in PLACEHOLDERS:
                error = TemplateSyntaxError(_unknown_placeholder(name))
                if self.last_token is not None:
                    error.token = self.last_token  # type: ignore[attr-defined]
                raise error
        return expression

    def find_filter(self, filter_name: str) -> Any:
        if filter_name not in self.filters:
            raise TemplateSyntaxError(
                _("Unknown filter |%(name)s: use one of %(names)s.") % {"name": filter_name, "names": ", ".join(FILTERS)}
            )
        return self.filters[filter_name]

    def invalid_block_tag(self, token: Token, command: str, parse_until: Any = None) -> None:
        if command in TAGS:
            message = _("{%% %(tag)s %%} without an {%% if %%} before it.") % {"tag": command}
        else:
            message = _("{%% %(tag)s %%} is not allowed: only {%% if %%}, {%% elif %%}, {%% else %%} and {%% endif %%}.") % {
                "tag": command,
            }
        raise self.error(token, message)

    def unclosed_block_tag(self, parse_until: Any) -> None:
        _command, token = self.command_stack.pop()
        raise self.error(token, _("This {%% if %%} has no {%% endif %%}.") % {})


class _Template(Template):
    def compile_nodelist(self) -> Any:
        parser = _Parser(Lexer(self.source).tokenize(), {}, self.engine.template_builtins, self.origin)
        return parser.parse()


def _variables_of(expression: FilterExpression) -> list[str]:
    """Return the names an expression looks up: its variable and any filter argument that is one."""
    found = []
    for variable in [expression.var] + [arg for filter_args in expression.filters for lookup, arg in filter_args[1] if lookup]:
        lookups = getattr(variable, "lookups", None)
        if lookups is not None:  # None: a literal ("text", 3, _("text"))
            found.append(".".join(lookups))
    return found


def _unknown_placeholder(name: str) -> str:
    close = difflib.get_close_matches(name, list(PLACEHOLDERS), n=1)
    if close:
        return _("Unknown placeholder {{ %(name)s }}: did you mean {{ %(close)s }}?") % {"name": name, "close": close[0]}
    return _("Unknown placeholder {{ %(name)s }}: use one of %(names)s.") % {"name": name, "names": ", ".join(PLACEHOLDERS)}


def _django_problems() -> dict[str, str]:
    """Return Django's own messages a template writer meets most, in the user's language."""
    return {
        "Empty variable tag": _("Empty {{ }}: write the name of a placeholder between the braces."),
        "Empty block tag": _("Empty {%% %%}: write if, elif, else or endif between the marks.") % {},
    }


def _compile(source: str, field: str) -> Template:
    """Compile `source`, or raise ValidationFailed naming `field` with the line of the mistake."""
    try:
        return _Template(source, engine=_engine)
    except TemplateSyntaxError as error:
        token = getattr(error, "token", None)
        problem = _DJANGO_LINE.sub("", str(error))
        problem = _django_problems().get(problem, problem)
        if token is not None and token.lineno:
            problem = _("Line %(line)s: %(problem)s") % {"line": token.lineno, "problem": problem}
        raise ValidationFailed(field_errors={field: [problem]}) from None


# --- Checking a text ----------------------------------------------------------------------

def validate_text(*, channel: str, subject: str, body: str) -> None:
    """Refuse a text the channel cannot carry or the engine cannot render; every problem at once."""
    errors = FieldErrors()
    if channel not in MessageChannel.values:
        errors.add("channel", _("Choose one of: %(codes)s.") % {"codes": ", ".join(MessageChannel.values)})
        errors.raise_if_any()
    if channel == MessageChannel.EMAIL:
        if not subject.strip():
            errors.add("subject", _("An e-mail needs a subject."))
        elif "\n" in subject or "\r" in subject:
            errors.add("subject", _("Write the subject on one line."))
        elif len(subject) > SUBJECT_MAX:
            errors.add("subject", _("Use at most %(max)s characters.") % {"max": SUBJECT_MAX})
        else:
            _check(subject, "subject", errors)
    elif subject.strip():
        errors.add("subject", _("Only e-mails have a subject: leave it empty."))
    limit = BODY_LIMITS[MessageChannel(channel)]
    if not body.strip():
        errors.add("body", _("Write the text of the message."))
    elif len(body) > limit:
        errors.add("body", _("%(channel)s messages have at most %(max)s characters; this one has %(count)s.") % {
            "channel": MessageChannel(channel).label, "max": f"{limit:,}", "count": f"{len(body):,}",
        })
    else:
        _check(body, "body", errors)
    errors.raise_if_any()


def _check(source: str, field: str, errors: FieldErrors) -> None:
    if "\x00" in source:
        # PostgreSQL cannot store it, and no channel carries it.
        errors.add(field, _("Text may not contain the NUL character."))
        return
    try:
        _compile(source, field)
    except ValidationFailed as error:
        for message in error.field_errors[field]:
            errors.add(field, message)


def placeholder_names(body: str) -> list[str]:
    """Return the placeholders printed by `body` ({{ … }}, not conditions), in order of first appearance.

    A WhatsApp template approved by Meta numbers its parameters in this order.
    """
    names: list[str] = []
    for node in _nodes(_compile(body, "body").nodelist):
        if isinstance(node, VariableNode):
            for name in _variables_of(node.filter_expression)[:1]:
                if name not in names:
                    names.append(name)
    return names


def _nodes(nodelist: Sequence[Node]) -> list[Node]:
    """Return every node in the order its text appears, the branches of an {% if %} included."""
    found: list[Node] = []
    for node in nodelist:
        found.append(node)
        for _condition, branch in getattr(node, "conditions_nodelists", ()):
            found.extend(_nodes(branch))
    return found


# --- Choosing the language ---------------------------------------------------------------

def language_order(language: str) -> list[str]:
    """Return the languages to try for a contact speaking `language`: theirs, the organisation's, English."""
    order = [language, get_organisation().language, Language.EN]
    return [code for i, code in enumerate(order) if code and code not in order[:i]]


def choose_text(template: MessageTemplate, language: str) -> TemplateText | None:
    """Return the template's text in `language`, else the organisation's language, else English, else any."""
    texts = {text.language: text for text in template.texts.all()}
    for code in language_order(language):
        if code in texts:
            return texts[code]
    return next(iter(sorted(texts.values(), key=lambda t: t.language)), None)


# --- Placeholder values --------------------------------------------------------------------

@dataclass(frozen=True)
class Amount:
    """Money shown in the language the message is rendered in ("HTG 12,500.00", "12 500,00 HTG")."""

    value: Decimal
    currency: str

    def __str__(self) -> str:
        return kmoney(self.value, self.currency)


def empty_context() -> dict[str, Any]:
    """Return every placeholder with no value (a missing value prints nothing, never "None")."""
    return dict.fromkeys(PLACEHOLDERS, "")


def contexts_for(contact_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Return {contact id: placeholder values} for many contacts: four queries per 2,000 contacts.

    Values are kept typed (dates, Amount) so the `date` filter works and each message shows
    them in its own language. Ids of contacts that do not exist are left out.
    """
    ids = list(dict.fromkeys(contact_ids))
    contexts: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), CONTEXT_CHUNK):
        contexts.update(_contexts_of(ids[start:start + CONTEXT_CHUNK]))
    return contexts


def _latest_purchase(field: str) -> Subquery:
    latest = Order.objects.filter(contact_id=OuterRef("pk"), status__in=PURCHASE_STATUSES).order_by("-ordered_at", "-id")
    return Subquery(latest.values(field)[:1])


def _contexts_of(ids: list[int]) -> dict[int, dict[str, Any]]:
    organisation = get_organisation().name
    people = (
        Contact.objects.filter(pk__in=ids)
        .annotate(latest_order_id=_latest_purchase("id"), latest_order_number=_latest_purchase("number"))
        .values_list(
            "pk", "first_name", "last_name", "display_name", "job_title", "birthday", "company__name",
            "owner__first_name", "owner__last_name", "owner__username", "latest_order_id", "latest_order_number",
        )
        .order_by()
    )
    contexts: dict[int, dict[str, Any]] = {}
    latest_orders: dict[int, int] = {}
    for pk, first, last, display, job, birthday, company, owner_first, owner_last, owner_login, order_id, number in people:
        owner = f"{owner_first} {owner_last}".strip() or (owner_login or "")
        contexts[pk] = {
            **empty_context(),
            "first_name": first, "last_name": last, "name": display, "greeting_name": first or display,
            "company": company or "", "job_title": job, "birthday": birthday or "", "organisation": organisation,
            "owner_name": owner, "last_order_number": number or "",
        }
        if order_id is not None:
            latest_orders[order_id] = pk
    if contexts:
        _add_places(contexts)
        _add_purchases(contexts)
        _add_last_products(contexts, latest_orders)
    return contexts


def _add_places(contexts: dict[int, dict[str, Any]]) -> None:
    countries = dict(Country.choices)
    rows = (
        Address.objects.filter(contact_id__in=list(contexts)).order_by("contact_id", "-is_primary", "id")
        .values_list("contact_id", "city", "country")
    )
    seen: set[int] = set()
    for contact_id, city, country in rows:
        if contact_id in seen:
            continue
        seen.add(contact_id)
        # The lazy label: the country is named in the language the message is rendered in.
        contexts[contact_id].update(city=city, country=countries.get(country, country) if country else "")


def _add_purchases(contexts: dict[int, dict[str, Any]]) -> None:
    """Fill in purchase count, lifetime spend, first and latest purchase (orders in PURCHASE_STATUSES)."""
    home, zone, today = organisation_currency(), organisation_timezone(), organisation_today()
    rows = (
        Order.objects.filter(contact_id__in=list(contexts), status__in=PURCHASE_STATUSES)
        .annotate(rate=rate_on_order_day())
        .values("contact_id", "currency")
        .annotate(
            count=Count("id"), converted=Sum(F("total") * F("rate"), output_field=WIDE),
            first=Min("ordered_at"), last=Max("ordered_at"),
        )
        .values_list("contact_id", "count", "converted", "first", "last")
        .order_by()
    )
    totals: dict[int, list[Any]] = {}
    for contact_id, count, converted, first, last in rows:
        total = totals.setdefault(contact_id, [0, ZERO, first, last])
        total[0] += count
        # Purchases in a currency without a rate on their day are left out of the spend, not guessed.
        total[1] += converted or ZERO
        total[2], total[3] = min(total[2], first), max(total[3], last)
    for contact_id, (count, spend, first, last) in totals.items():
        first_day, last_day = first.astimezone(zone).date(), last.astimezone(zone).date()
        contexts[contact_id].update(
            order_count=count, lifetime_spend=Amount(quantize(spend), home), first_purchase_date=first_day,
            last_order_date=last_day, customer_years=_whole_years(first_day, today),
        )


def _whole_years(since: dt.date, today: dt.date) -> int:
    return max(0, today.year - since.year - ((today.month, today.day) < (since.month, since.day)))


def _add_last_products(contexts: dict[int, dict[str, Any]], latest_orders: dict[int, int]) -> None:
    """Name the product of each latest purchase: its first line's product (or the line's text)."""
    if not latest_orders:
        return
    rows = (
        OrderLine.objects.filter(order_id__in=list(latest_orders)).order_by("order_id", "position", "id")
        .values_list("order_id", "product__name", "description")
    )
    for order_id, product, description in rows:
        context = contexts[latest_orders[order_id]]
        if not context["last_product"]:
            context["last_product"] = product or description


# --- Rendering ----------------------------------------------------------------------------

_compiled: dict[tuple[int, dt.datetime | None], tuple[Template, Template]] = {}
_compiled_lock = threading.Lock()
COMPILED_KEPT = 256


def _templates_of(text: TemplateText) -> tuple[Template, Template]:
    """Return the compiled subject and body, compiled once per saved version of the text."""
    if text.pk is None:
        return _compile(text.subject, "subject"), _compile(text.body, "body")
    key = (text.pk, text.updated_at)
    templates = _compiled.get(key)
    if templates is None:
        templates = (_compile(text.subject, "subject"), _compile(text.body, "body"))
        with _compiled_lock:
            if len(_compiled) >= COMPILED_KEPT:
                _compiled.clear()
            _compiled[key] = templates
    return templates


def render(text: TemplateText, context: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Rendered:
    """Fill in `text` for one contact (`context` from contexts_for, `extra` from the caller).

    Dates, money and country names come out in the text's language. A text saved before a
    placeholder was withdrawn raises ValidationFailed, like validate_text.
    """
    subject_template, body_template = _templates_of(text)
    values = {**empty_context(), **context, **(extra or {})}
    with translation.override(text.language):
        subject = subject_template.render(Context(values, autoescape=False))
        body = body_template.render(Context(values, autoescape=False))
    # A subject is one header line whatever a name holds; a body keeps its lines but no blank edges.
    return Rendered(subject=" ".join(subject.split()), body=body.strip())


def placeholder_values(text: TemplateText, context: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """Return the values of the placeholders `text` prints, in order, as the message would show them.

    What an approved WhatsApp template is sent with: its parameters {{1}}, {{2}}, … are the
    placeholders of placeholder_names(text.body), formatted in the text's language.
    """
    values = {**empty_context(), **context, **(extra or {})}
    show = Context(autoescape=False)
    with translation.override(text.language):
        return tuple(" ".join(render_value_in_context(values[name], show).split()) for name in placeholder_names(text.body))
