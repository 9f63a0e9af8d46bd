"""API shapes for backups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from kliyan.backup.choices import BackupStatus
from kliyan.backup.models import Backup


class BackupOut(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed")
    interrupted: bool = Field(description="the run stopped without finishing (its worker died); start a new backup")
    file_name: str
    size: int = Field(description="bytes, once done")
    percent_done: int
    rows_done: int = Field(description="records written so far")
    rows_total: int = Field(description="records in the database when the backup began")
    tables_total: int
    media_files: int = Field(description="stored files (attachments, imported files) in the backup, once done")
    current_table: str = Field(description="the table being written")
    kliyan_version: str
    error: str
    download_url: str | None = Field(description="where to download the file, once done")
    created_by: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class BackupPage(Schema):
    items: list[BackupOut]
    next_cursor: str | None


def backup_out(backup: Backup) -> dict[str, Any]:
    done = backup.status == BackupStatus.DONE
    return {
        "id": backup.pk, "status": backup.status, "interrupted": backup.is_interrupted, "file_name": backup.file_name,
        "size": backup.size, "percent_done": backup.percent_done, "rows_done": backup.rows_done,
        "rows_total": backup.rows_total, "tables_total": backup.tables_total, "media_files": backup.media_files,
        "current_table": backup.current_table, "kliyan_version": backup.kliyan_version, "error": backup.error,
        "download_url": reverse("api-v1:backup_download", kwargs={"backup_id": backup.pk}) if done else None,
        "created_by": backup.created_by.get_username() if backup.created_by else None,
        "created_at": backup.created_at, "started_at": backup.started_at, "finished_at": backup.finished_at,
    }
