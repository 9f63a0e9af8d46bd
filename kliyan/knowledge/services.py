"""Writes for the knowledge base. Each one validates, writes, keeps a version and audits itself.

Who may do what is checked by the pages and the API (`knowledge.edit`, `knowledge.publish`)
and, where the answer depends on the article's state, here as well, so no way in can get
around it: a published text is what customers read, so only someone who may publish may
change it, restore an old version of it, delete it, or make its article public again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kliyan.accounts.access import Perm, can
from kliyan.core.audit import record
from kliyan.core.choices import Language
from kliyan.core.errors import AccessDenied, Conflict, FieldErrors, NotFound
from kliyan.core.models import AuditAction
from kliyan.core.text import fold
from kliyan.knowledge.choices import ArticleStatus
from kliyan.knowledge.models import Article, ArticleTag, ArticleTranslation, ArticleVersion, Category
from kliyan.knowledge.search import search_body_of, search_title_of

TITLE_MAX = 200
SLUG_MAX = 80
BODY_MAX = 50_000
CATEGORY_MAX = 100
TAG_MAX = 50
TAGS_MAX = 20
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ARTICLE_FIELDS = {"category", "tags", "internal"}
TRANSLATION_FIELDS = {"title", "slug", "body"}


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _require_publisher(actor: Any, message: str) -> None:
    if not can(actor, Perm.PUBLISH_KNOWLEDGE):
        raise AccessDenied(message, code="publish_required")


# --- Cleaning -------------------------------------------------------------------------

def clean_language(value: Any, errors: FieldErrors, field: str = "language") -> str:
    code = str(value or "").strip().lower()
    if code not in Language.values:
        errors.add(field, _("Choose one of: %(codes)s.") % {"codes": ", ".join(Language.values)})
    return code


def _clean_tags(value: Any, errors: FieldErrors) -> list[str]:
    """Return tags lower-cased, single-spaced, without repeats; a string is split at commas."""
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Sequence):
        errors.add("tags", _("Give a list of tags."))
        return []
    tags: list[str] = []
    for item in items:
        if not isinstance(item, str):
            errors.add("tags", _("Each tag must be text."))
            continue
        tag = " ".join(item.split()).lower()
        if not tag or tag in tags:
            continue
        if len(tag) > TAG_MAX:
            errors.add("tags", _("A tag has at most %(max)s characters: “%(tag)s”.") % {"max": TAG_MAX, "tag": tag[:20]})
        tags.append(tag)
    if len(tags) > TAGS_MAX:
        errors.add("tags", _("Use at most %(max)s tags.") % {"max": TAGS_MAX})
    return tags


def _clean_article(data: Mapping[str, Any], errors: FieldErrors) -> dict[str, Any]:
    """Return the article fields present in `data`, cleaned."""
    out: dict[str, Any] = {}
    if "category" in data:
        name = " ".join(str(data.get("category") or "").split())
        if len(name) > CATEGORY_MAX:
            errors.add("category", _("Use at most %(max)s characters.") % {"max": CATEGORY_MAX})
        out["category"] = name
    if "tags" in data:
        out["tags"] = _clean_tags(data.get("tags"), errors)
    if "internal" in data:
        out["internal"] = bool(data.get("internal"))
    return out


def _clean_translation(
    data: Mapping[str, Any], errors: FieldErrors, *, language: str, current: ArticleTranslation | None,
) -> dict[str, Any]:
    """Return title, body and slug; a new translation without a slug gets one from its title."""
    title = " ".join(str(data.get("title") or "").split())
    if not title:
        errors.add("title", _("This field is required."))
    elif len(title) > TITLE_MAX:
        errors.add("title", _("Use at most %(max)s characters.") % {"max": TITLE_MAX})
    body = "\n".join(line.rstrip() for line in str(data.get("body") or "").replace("\r\n", "\n").split("\n")).strip("\n")
    if not body.strip():
        errors.add("body", _("This field is required."))
    elif len(body) > BODY_MAX:
        errors.add("body", _("Use at most %(max)s characters.") % {"max": BODY_MAX})
    slug = str(data.get("slug") or "").strip().lower()
    exclude = current.pk if current else None
    if slug:
        if len(slug) > SLUG_MAX:
            errors.add("slug", _("Use at most %(max)s characters.") % {"max": SLUG_MAX})
        elif not SLUG_PATTERN.match(slug):
            errors.add("slug", _("Use lower-case letters a–z, digits and single hyphens, e.g. “delivery-times”."))
        elif language and _slug_taken(language, slug, exclude):
            errors.add("slug", _("Another article in this language already has this slug."))
    elif current is not None:
        slug = current.slug
    elif title and language in Language.values:
        slug = _free_slug(language, slugify(fold(title))[:SLUG_MAX].strip("-") or "article", exclude)
    return {"title": title, "body": body, "slug": slug}


def _slug_taken(language: str, slug: str, exclude: int | None) -> bool:
    return ArticleTranslation.objects.filter(language=language, slug=slug).exclude(pk=exclude).exists()


def _free_slug(language: str, base: str, exclude: int | None) -> str:
    """Return `base`, or `base-2`, `base-3`… whichever no other translation in `language` has."""
    taken = set(
        ArticleTranslation.objects.filter(language=language, slug__startswith=base).exclude(pk=exclude).values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    number = 2
    while (candidate := f"{base[:SLUG_MAX - len(str(number)) - 1]}-{number}") in taken:
        number += 1
    return candidate


def _refuse_unknown(data: Mapping[str, Any], allowed: set[str], errors: FieldErrors) -> None:
    for key in data:
        if key not in allowed:
            errors.add(key, _("Unknown field."))


# --- State for the audit log ----------------------------------------------------------

def article_state(article: Article) -> dict[str, Any]:
    return {
        "category": article.category.name if article.category_id else "",
        "tags": sorted(t.name for t in article.tags.all()),
        "internal": article.internal,
    }


def translation_state(translation: ArticleTranslation) -> dict[str, Any]:
    # The text itself is in the version history; the audit log says which version.
    return {
        "language": translation.language, "title": translation.title, "slug": translation.slug,
        "status": translation.status, "version": translation.version,
    }


def _label(translation: ArticleTranslation) -> str:
    return f"{translation.title} ({translation.language})"


def _touch(article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())


def _category(name: str) -> Category | None:
    if not name:
        return None
    category, _created = Category.objects.get_or_create(key=fold(name)[:CATEGORY_MAX], defaults={"name": name})
    return category


def _set_tags(article: Article, tags: list[str]) -> None:
    article.tags.all().delete()
    ArticleTag.objects.bulk_create([ArticleTag(article=article, name=tag) for tag in tags])


def _add_version(translation: ArticleTranslation, actor: Any, *, restored_from: int | None = None) -> ArticleVersion:
    user = _user(actor)
    return ArticleVersion.objects.create(
        translation=translation, number=translation.version, title=translation.title, slug=translation.slug,
        body=translation.body, restored_from=restored_from, created_by=user,
        created_by_label=user.get_username() if user else "",
    )


def _index(translation: ArticleTranslation) -> None:
    translation.search_title = search_title_of(translation.title)
    translation.search_body = search_body_of(translation.body)


# --- Articles -------------------------------------------------------------------------

@transaction.atomic
def article_create(*, actor: Any, data: Mapping[str, Any]) -> Article:
    """Create an article with its first translation, a draft (version 1)."""
    errors = FieldErrors()
    _refuse_unknown(data, ARTICLE_FIELDS | TRANSLATION_FIELDS | {"language"}, errors)
    language = clean_language(data.get("language"), errors)
    article_data = _clean_article(data, errors)
    text = _clean_translation(data, errors, language=language, current=None)
    errors.raise_if_any()
    article = Article.objects.create(
        category=_category(article_data.get("category", "")), internal=article_data.get("internal", False),
        created_by=_user(actor),
    )
    _set_tags(article, article_data.get("tags", []))
    record(actor=actor, action=AuditAction.CREATE, instance=article, label=text["title"], after=article_state(article))
    _create_translation(actor=actor, article=article, language=language, text=text)
    return article


@transaction.atomic
def article_update(*, actor: Any, article: Article, data: Mapping[str, Any]) -> Article:
    """Change the category, tags or "internal only" flag (the fields present in `data`)."""
    article = Article.objects.select_for_update(of=("self",)).select_related("category").get(pk=article.pk)
    errors = FieldErrors()
    _refuse_unknown(data, ARTICLE_FIELDS, errors)
    cleaned = _clean_article(data, errors)
    errors.raise_if_any()
    before = article_state(article)
    if before["internal"] and cleaned.get("internal") is False and article.translations.filter(status=ArticleStatus.PUBLISHED).exists():
        _require_publisher(actor, _("This article has published text: only someone who may publish can make it public."))
    if "category" in cleaned:
        article.category = _category(cleaned["category"])
    if "internal" in cleaned:
        article.internal = cleaned["internal"]
    if "tags" in cleaned and sorted(cleaned["tags"]) != before["tags"]:
        _set_tags(article, cleaned["tags"])
    after = article_state(article)
    if after != before:
        article.save()
        record(actor=actor, action=AuditAction.UPDATE, instance=article, label=_article_label(article), before=before, after=after)
    return article


def _article_label(article: Article) -> str:
    first = article.translations.order_by("id").values_list("title", flat=True).first()
    return first or str(article)


@transaction.atomic
def article_delete(*, actor: Any, article: Article) -> None:
    """Delete an article with its translations and history; the audit entries stay."""
    _require_publisher(actor, _("Only someone who may publish can delete an article."))
    article = Article.objects.select_for_update().get(pk=article.pk)
    before = {**article_state(article), "translations": [translation_state(t) for t in article.translations.all()]}
    record(actor=actor, action=AuditAction.DELETE, instance=article, label=_article_label(article), before=before)
    article.delete()


# --- Translations ---------------------------------------------------------------------

def _create_translation(*, actor: Any, article: Article, language: str, text: dict[str, Any]) -> ArticleTranslation:
    translation = ArticleTranslation(article=article, language=language, version=1, updated_by=_user(actor), **text)
    _index(translation)
    try:
        with transaction.atomic():
            translation.save()
    except IntegrityError:
        # Another request took the slug (or added this language) between our check and the insert.
        raise Conflict(
            _("Someone else saved a translation in this language, or took this slug, just now; reload and try again."),
            field_errors={"slug": [_("Another article in this language already has this slug.")]},
        ) from None
    _add_version(translation, actor)
    record(actor=actor, action=AuditAction.CREATE, instance=translation, label=_label(translation), after=translation_state(translation))
    return translation


@transaction.atomic
def translation_save(
    *, actor: Any, article: Article, language: str, data: Mapping[str, Any], base_version: int | None = None,
) -> tuple[ArticleTranslation, bool]:
    """Create or change the article's text in `language`; return (translation, created).

    Every change keeps a version. Saving the same text again changes nothing (a retried
    request adds no version). `base_version` is the version the editor started from: if
    someone saved since, nothing is written and Conflict says so, so no one's work is lost.
    """
    errors = FieldErrors()
    _refuse_unknown(data, TRANSLATION_FIELDS, errors)
    language = clean_language(language, errors)
    errors.raise_if_any()
    article = Article.objects.select_for_update().get(pk=article.pk)
    current = ArticleTranslation.objects.filter(article=article, language=language).first()
    text = _clean_translation(data, errors, language=language, current=current)
    errors.raise_if_any()
    if current is None:
        translation = _create_translation(actor=actor, article=article, language=language, text=text)
        _touch(article)
        return translation, True
    if base_version is not None and base_version != current.version:
        raise Conflict(
            _("Someone else saved this text (version %(current)s) after you opened version %(base)s. "
              "Your text was not saved; copy it, reload, and compare in the history.") % {"current": current.version, "base": base_version},
            code="edit_conflict", extra={"current_version": current.version},
        )
    if all(getattr(current, key) == value for key, value in text.items()):
        return current, False
    if current.is_published:
        _require_publisher(actor, _("This text is published: only someone who may publish can change it."))
    before = translation_state(current)
    for key, value in text.items():
        setattr(current, key, value)
    current.version += 1
    current.updated_by = _user(actor)
    _index(current)
    current.save()
    _add_version(current, actor)
    _touch(article)
    record(actor=actor, action=AuditAction.UPDATE, instance=current, label=_label(current), before=before, after=translation_state(current))
    return current, False


@transaction.atomic
def version_restore(*, actor: Any, translation: ArticleTranslation, number: int) -> ArticleTranslation:
    """Save an earlier version's text as the newest version (the history keeps everything)."""
    translation = ArticleTranslation.objects.select_for_update().get(pk=translation.pk)
    old = translation.versions.filter(number=number).first()
    if old is None:
        raise NotFound(_("This text has no version %(number)s.") % {"number": number})
    if old.slug != translation.slug and _slug_taken(translation.language, old.slug, translation.pk):
        raise Conflict(
            _("Another article now uses this version's slug “%(slug)s”.") % {"slug": old.slug},
            field_errors={"slug": [_("Another article in this language already has this slug.")]},
        )
    if (old.title, old.slug, old.body) == (translation.title, translation.slug, translation.body):
        return translation
    if translation.is_published:
        _require_publisher(actor, _("This text is published: only someone who may publish can change it."))
    before = translation_state(translation)
    translation.title, translation.slug, translation.body = old.title, old.slug, old.body
    translation.version += 1
    translation.updated_by = _user(actor)
    _index(translation)
    translation.save()
    _add_version(translation, actor, restored_from=number)
    _touch(translation.article)
    after = {**translation_state(translation), "restored_from": number}
    record(actor=actor, action=AuditAction.RESTORE, instance=translation, label=_label(translation), before=before, after=after)
    return translation


def _set_status(*, actor: Any, translation: ArticleTranslation, status: str) -> ArticleTranslation:
    _require_publisher(actor, _("Only someone who may publish can publish or unpublish."))
    translation = ArticleTranslation.objects.select_for_update().get(pk=translation.pk)
    if translation.status == status:
        return translation  # a retried request changes nothing
    before = translation_state(translation)
    translation.status = status
    if status == ArticleStatus.PUBLISHED:
        translation.published_at = timezone.now()
    translation.save(update_fields=["status", "published_at", "updated_at"])
    _touch(translation.article)
    record(actor=actor, action=AuditAction.UPDATE, instance=translation, label=_label(translation), before=before, after=translation_state(translation))
    return translation


@transaction.atomic
def translation_publish(*, actor: Any, translation: ArticleTranslation) -> ArticleTranslation:
    """Let the public read this translation (unless its article is internal)."""
    return _set_status(actor=actor, translation=translation, status=ArticleStatus.PUBLISHED)


@transaction.atomic
def translation_unpublish(*, actor: Any, translation: ArticleTranslation) -> ArticleTranslation:
    """Take the translation back to draft: the public pages and API stop showing it at once."""
    return _set_status(actor=actor, translation=translation, status=ArticleStatus.DRAFT)


@transaction.atomic
def translation_delete(*, actor: Any, translation: ArticleTranslation) -> None:
    """Delete one language of an article with its history; the last one goes with the article."""
    translation = ArticleTranslation.objects.select_for_update().get(pk=translation.pk)
    if translation.is_published:
        _require_publisher(actor, _("This text is published: only someone who may publish can delete it."))
    if not ArticleTranslation.objects.filter(article_id=translation.article_id).exclude(pk=translation.pk).exists():
        raise Conflict(_("This is the article's only language; delete the article instead."), code="last_translation")
    record(actor=actor, action=AuditAction.DELETE, instance=translation, label=_label(translation), before=translation_state(translation))
    translation.delete()
    _touch(translation.article)


# --- Lookups the pages and the API share -----------------------------------------------

def get_article(pk: Any) -> Article:
    try:
        return Article.objects.select_related("category").get(pk=int(pk))
    except (Article.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound(_("There is no article with id %(id)s.") % {"id": pk}) from None


def get_translation(article: Article, language: str) -> ArticleTranslation:
    translation = ArticleTranslation.objects.filter(article=article, language=language).first()
    if translation is None:
        raise NotFound(_("This article has no text in this language yet."))
    return translation
