"""The stored files (ticket attachments, import uploads: everything in the default storage) in a backup.

Each file goes under `media/` with its name in the storage; `media.ndjson` lists name,
size and SHA-256, and the restore checks every file against it as it writes it back.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage
from django.utils.translation import gettext as _

from kliyan.backup import format as fmt
from kliyan.backup.errors import BackupDamaged
from kliyan.backup.progress import Progress, ProgressCallback

COPY_CHUNK = 1024 * 1024


def stored_files(storage: Storage, directory: str = "") -> Iterator[str]:
    """Yield the name of every file in `storage`, directory by directory, in name order."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield posixpath.join(directory, name) if directory else name
    for name in sorted(directories):
        yield from stored_files(storage, posixpath.join(directory, name) if directory else name)


def _excluded(storage: Storage, name: str, exclude: Path | None) -> bool:
    if exclude is None:
        return False
    try:
        path = Path(storage.path(name)).resolve()
    except NotImplementedError:  # not on this machine's disk: cannot be the backup directory
        return False
    return path.is_relative_to(exclude.resolve())


def write_media(
    archive: zipfile.ZipFile, storage: Storage, *, progress: Progress, on_progress: ProgressCallback, exclude: Path | None = None,
) -> dict[str, Any]:
    """Copy every stored file into the archive; return the manifest's `media` entry."""
    progress.stage, progress.table = "media", ""
    count = total = 0
    index_digest = hashlib.sha256()
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as index:
        for name in stored_files(storage):
            if _excluded(storage, name, exclude):
                continue
            digest = hashlib.sha256()
            size = 0
            with storage.open(name, "rb") as source, archive.open(fmt.member(fmt.MEDIA_PREFIX + name), "w", force_zip64=True) as out:
                while chunk := source.read(COPY_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            line = (json.dumps({"name": name, "size": size, "sha256": digest.hexdigest()}, ensure_ascii=False) + "\n").encode()
            index.write(line)
            index_digest.update(line)
            count += 1
            total += size
            progress.files_done = count
            on_progress(progress)
        index.seek(0)
        with archive.open(fmt.member(fmt.MEDIA_INDEX), "w", force_zip64=True) as out:
            shutil.copyfileobj(index, out, COPY_CHUNK)
    return {"member": fmt.MEDIA_INDEX, "files": count, "bytes": total, "sha256": index_digest.hexdigest()}


class _CheckedReader:
    """Read a member of the archive while hashing it, for Storage.save."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self.stream = stream
        self.size = size
        self.digest = hashlib.sha256()
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        self.read_bytes += len(chunk)
        return chunk

    def seek(self, *args: Any) -> int:
        # Storage.save rewinds a file before reading it; this one is read once, from the start.
        raise io.UnsupportedOperation("read once, from the start")


def _safe(name: Any) -> str:
    if not isinstance(name, str) or not name or name.startswith("/") or "\\" in name or ".." in name.split("/"):
        raise BackupDamaged(_("The backup lists a file with a name that is not allowed: %(name)s.") % {"name": name},
                            code="damaged")
    return name


def _entries(archive: zipfile.ZipFile, manifest_media: dict[str, Any]) -> Iterator[dict[str, Any]]:
    digest = hashlib.sha256()
    count = 0
    with archive.open(fmt.MEDIA_INDEX) as index:
        for line in index:
            digest.update(line)
            count += 1
            yield json.loads(line)
    if count != manifest_media.get("files") or digest.hexdigest() != manifest_media.get("sha256"):
        raise BackupDamaged(_("The list of files in the backup does not match its manifest."), code="damaged")


def restore_media(
    archive: zipfile.ZipFile, storage: Storage, manifest_media: dict[str, Any], *, progress: Progress,
    on_progress: ProgressCallback,
) -> int:
    """Write every file of the backup into `storage` under its own name; return how many.

    A file of the same name already there is replaced: the database it belonged to is empty.
    """
    if not manifest_media.get("files"):
        return 0
    progress.stage, progress.table = "media", ""
    count = 0
    for entry in _entries(archive, manifest_media):
        name = _safe(entry.get("name"))
        try:
            member = archive.open(fmt.MEDIA_PREFIX + name)
        except KeyError:
            raise BackupDamaged(_("The file %(name)s is missing from the backup.") % {"name": name}, code="damaged") from None
        with member:
            reader = _CheckedReader(member, int(entry.get("size") or 0))
            if storage.exists(name):
                storage.delete(name)
            saved = storage.save(name, File(reader, name=posixpath.basename(name)))
        if saved != name or reader.digest.hexdigest() != entry.get("sha256") or reader.read_bytes != entry.get("size"):
            storage.delete(saved)
            raise BackupDamaged(_("The file %(name)s in the backup is damaged.") % {"name": name}, code="damaged")
        count += 1
        progress.files_done = count
        on_progress(progress)
    return count
