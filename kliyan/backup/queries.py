"""Reads for the Backups page and API."""

from __future__ import annotations

from django.db.models import QuerySet

from kliyan.backup.models import Backup


def backups_for_list() -> QuerySet[Backup]:
    return Backup.objects.select_related("created_by")
