"""The knowledge base: articles, their translations (one per language) and every saved version.

An article is language-neutral (category, tags, "internal only"); what people read is a
translation, which has its own title, slug, text and status. The public sees a translation
only when it is published and its article is not internal.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kliyan.core.choices import Language
from kliyan.knowledge.choices import ArticleStatus


class Category(models.Model):
    """A shelf of the knowledge base ("Delivery", "Payments"); created by typing its name."""

    name = models.CharField(_("name"), max_length=100)
    # The folded name, so "Livraison" and "livraison " are one category.
    key = models.CharField(max_length=100, unique=True, editable=False)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="articles",
    )
    internal = models.BooleanField(
        _("internal only"), default=False, help_text=_("Only staff see it; never on the public pages or API."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Moves on every change to the article or one of its translations (the staff list's order).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["-updated_at", "-id"], name="kb_article_recent_idx")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article_detail", args=[self.pk])


class ArticleTag(models.Model):
    """A free label: a product, a ticket category, a topic ("moncash", "returns")."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("tag"), max_length=50)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["article", "name"], name="knowledge_tag_unique")]
        indexes = [models.Index(fields=["name"], name="knowledge_tag_name_idx")]

    def __str__(self) -> str:
        return self.name


class ArticleTranslation(models.Model):
    """The article in one language: the text as it is now, and whether the public may read it."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, allow_unicode=False)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The number of the version the text above is (ArticleVersion.number).
    version = models.PositiveIntegerField(_("version"), default=1)
    # Title and text folded for search (kliyan.knowledge.search), kept in step by the services.
    search_title = models.TextField(blank=True, editable=False)
    search_body = models.TextField(blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="knowledge_translation_one_per_language"),
            models.UniqueConstraint(fields=["language", "slug"], name="knowledge_translation_unique_slug"),
        ]
        indexes = [models.Index(fields=["status", "language"], name="kb_translation_status_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article_edit", args=[self.article_id, self.language])

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(models.Model):
    """One saved text of a translation; restoring an old one saves it again as the newest."""

    translation = models.ForeignKey(
        ArticleTranslation, verbose_name=_("translation"), on_delete=models.CASCADE, related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80)
    body = models.TextField(_("text"))
    restored_from = models.PositiveIntegerField(_("restored from version"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saved by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # Kept as text too, so the history still says who after the user is deleted.
    created_by_label = models.CharField(_("saved by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["translation", "number"], name="knowledge_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.translation_id} v{self.number}"
