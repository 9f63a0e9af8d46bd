"""The backup file (docs/backup.md): one ZIP with a manifest, one NDJSON member per table, and the files.

Values are written in types every database reads the same way: decimals as strings,
date-times in ISO 8601 with their offset, durations in ISO 8601, UUIDs as text, binary
data in base64, JSON fields as JSON. This module turns a model field's Python value into
that form and back; `writer` and `restore` do the rest.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid
import zipfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.dateparse import parse_duration
from django.utils.duration import duration_iso_string
from django.utils.translation import gettext as _

from kliyan.backup.errors import BackupDamaged, BackupRefused

FORMAT_NAME = "kliyan-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_INDEX = "media.ndjson"
MEDIA_PREFIX = "media/"
FILE_SUFFIX = ".zip"

Convert = Callable[[Any], Any]


def kliyan_version() -> str:
    try:
        return version("kliyan")
    except PackageNotFoundError:
        return "unknown"


def value_kind(field: models.Field) -> str:
    """Return the internal type of the value a field holds (a foreign key holds its target's)."""
    target = field
    while target.is_relation and getattr(target, "target_field", None) is not None and target.target_field is not target:
        target = target.target_field
    return target.get_internal_type()


def _base64(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


_ENCODERS: dict[str, Convert] = {
    "DateTimeField": lambda v: v.isoformat(),
    "DateField": lambda v: v.isoformat(),
    "TimeField": lambda v: v.isoformat(),
    "DecimalField": str,
    "DurationField": duration_iso_string,
    "UUIDField": str,
    "BinaryField": _base64,
    "GenericIPAddressField": str,
}

_DECODERS: dict[str, Convert] = {
    "DateTimeField": dt.datetime.fromisoformat,
    "DateField": dt.date.fromisoformat,
    "TimeField": dt.time.fromisoformat,
    "DecimalField": decimal.Decimal,
    "DurationField": parse_duration,
    "UUIDField": uuid.UUID,
    "BinaryField": base64.b64decode,
}

# Values the databases take as Python gives them; every other kind goes through the field's
# own preparation for the database at hand (JSON, decimals, UUIDs on SQLite, …).
_PLAIN = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "CharField", "TextField",
    "BooleanField", "FloatField", "SlugField", "EmailField", "URLField", "FileField", "ImageField", "FilePathField",
})


def encoder(field: models.Field) -> Convert | None:
    """Return the function that writes `field`'s Python values into the file (None: as they are)."""
    return _ENCODERS.get(value_kind(field))


def loader(field: models.Field, connection: BaseDatabaseWrapper) -> Convert | None:
    """Return the function that turns a value read from the file (not None) into what `connection` stores.

    None: the value is stored as read. The common kinds call the backend's adapters directly,
    a few times faster than the field's own preparation, which does the same with checks
    that values written by Kliyan itself never need.
    """
    kind = value_kind(field)
    if kind in _PLAIN:
        return None
    ops = connection.ops
    if connection.vendor in ("sqlite", "postgresql"):
        if kind == "DateTimeField":
            adapt_datetime = ops.adapt_datetimefield_value
            return lambda v: adapt_datetime(dt.datetime.fromisoformat(v))
        if kind == "DateField":
            adapt_date = ops.adapt_datefield_value
            return lambda v: adapt_date(dt.date.fromisoformat(v))
        if kind == "DecimalField":
            adapt_decimal, digits, places = ops.adapt_decimalfield_value, field.max_digits, field.decimal_places
            return lambda v: adapt_decimal(decimal.Decimal(v), digits, places)
        if kind == "JSONField":
            # JSON text: what SQLite stores, and what PostgreSQL's COPY reads into jsonb.
            encoder_class = field.encoder
            return lambda v: json.dumps(v, cls=encoder_class)
    decode = _DECODERS.get(kind)
    prepare = field.get_db_prep_save
    if decode is None:
        return lambda v: prepare(v, connection)
    return lambda v: prepare(decode(v), connection)


def stored_null(field: models.Field, connection: BaseDatabaseWrapper) -> Any:
    """Return what to store for a None read from the file: SQL NULL, or JSON null in a NOT NULL JSON column."""
    if value_kind(field) == "JSONField" and not field.null:
        converted = loader(field, connection)
        return converted(None) if converted else field.get_db_prep_value(None, connection)
    return None


class _Encoder(DjangoJSONEncoder):
    """JSON fields written with their own encoder may hold dates or decimals: write them as DjangoJSONEncoder does."""

    def default(self, o: Any) -> Any:
        if isinstance(o, bytes | memoryview):
            return _base64(o)
        return super().default(o)


_dumps = _Encoder(ensure_ascii=False, separators=(",", ":")).encode


def row_line(columns: list[str], encoders: list[Convert | None], values: tuple[Any, ...]) -> bytes:
    """Return one table row as a line of NDJSON."""
    row = {
        column: (value if convert is None or value is None else convert(value))
        for column, convert, value in zip(columns, encoders, values, strict=True)
    }
    return (_dumps(row) + "\n").encode("utf-8")


def member(name: str) -> zipfile.ZipInfo:
    """Return the entry of a member written now, compressed."""
    info = zipfile.ZipInfo(name, date_time=dt.datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def open_archive(path: str | IO[bytes]) -> zipfile.ZipFile:
    """Open a backup file, or say plainly why it is not one."""
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupRefused(_("There is no file %(file)s.") % {"file": path}, code="no_file") from None
    except OSError as error:
        raise BackupRefused(_("Cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror}, code="no_file") from None
    except zipfile.BadZipFile:
        raise BackupDamaged(
            _("%(file)s is not a complete Kliyan backup: it is cut short or is another kind of file.") % {"file": path},
            code="not_a_backup",
        ) from None


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """Return the manifest after checking that this version can read the file."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupDamaged(_("The file has no manifest.json: it is not a Kliyan backup."), code="not_a_backup") from None
    except (ValueError, zipfile.BadZipFile, EOFError, OSError) as error:
        raise BackupDamaged(_("The manifest of the backup cannot be read (%(error)s).") % {"error": error}, code="damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BackupDamaged(_("The file is not a Kliyan backup."), code="not_a_backup")
    version_ = manifest.get("format_version")
    if not isinstance(version_, int) or version_ > FORMAT_VERSION:
        raise BackupRefused(
            _("This backup was written by a newer Kliyan (%(kliyan)s, backup format %(format)s); this version reads format "
              "%(known)s. Install that version or a newer one, then restore.")
            % {"kliyan": manifest.get("kliyan_version", "?"), "format": version_, "known": FORMAT_VERSION},
            code="newer_format",
        )
    tables = manifest.get("tables")
    migrations = manifest.get("migrations")
    if not isinstance(tables, list) or not isinstance(migrations, dict) or not all(
        isinstance(t, dict) and {"model", "table", "member", "columns", "rows", "sha256"} <= set(t) for t in tables
    ):
        raise BackupDamaged(_("The manifest of the backup is incomplete."), code="damaged")
    names = set(archive.namelist())
    missing = [t["member"] for t in tables if t["member"] not in names]
    media = manifest.get("media") or {}
    if media.get("files") and MEDIA_INDEX not in names:
        missing.append(MEDIA_INDEX)
    if missing:
        raise BackupDamaged(
            _("The backup file lacks parts its manifest lists: %(members)s.") % {"members": ", ".join(missing[:5])},
            code="damaged",
        )
    return manifest
