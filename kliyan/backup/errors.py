"""Why a backup cannot be restored (or made); the message says what to do about it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kliyan.core.errors import Conflict, KliyanError


class BackupRefused(KliyanError):
    """The file is not a backup this version can restore, or the database is not empty; nothing was changed."""

    status = 409
    code = "backup_refused"
    default_message = _("This backup cannot be restored here.")


class BackupDamaged(KliyanError):
    """The file's contents do not match its manifest (cut short, or changed); nothing was restored."""

    status = 422
    code = "backup_damaged"
    default_message = _("The backup file is damaged.")


class BackupRunning(Conflict):
    code = "backup_running"
    default_message = _("A backup is already running; wait for it to finish.")
