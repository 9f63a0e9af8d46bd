"""The second process of a large import: read and clean the file, send the batches to the writer.

Run as `python -m kliyan.imports.reader_process`: the job arrives as JSON on standard input,
the batches leave on standard output as length-prefixed pickles, then an end frame
("done", or what went wrong). A plain subprocess rather than multiprocessing: a "spawn"
child re-imports the parent's main script (running it again if it has no main guard) and a
"fork" child inherits the parent's database connection and the locks its other threads
hold. The pipe's small buffer is the back-pressure: the reader waits while the writer is
busy, so at most one batch is in flight whatever the file's size. If the writer dies, the
next write fails and the reader exits.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import struct
import sys
from typing import IO, Any

FRAME_HEADER = struct.Struct("!Q")


def write_frame(out: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(FRAME_HEADER.pack(len(data)))
    out.write(data)
    out.flush()


def read_frame(source: IO[bytes]) -> Any:
    """Return the next frame's value; raise EOFError when the stream ends."""
    header = _read_exactly(source, FRAME_HEADER.size)
    (length,) = FRAME_HEADER.unpack(header)
    data = _read_exactly(source, length)
    # A batch is a hundred thousand small objects that all stay alive: the cycle collector,
    # triggered again and again while they are created, would walk them each time for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)  # noqa: S301 - frames come from our own child process
    finally:
        if enabled:
            gc.enable()


def _read_exactly(source: IO[bytes], size: int) -> bytes:
    data = source.read(size)
    if data is None or len(data) < size:
        raise EOFError
    return data


def main() -> int:
    job = json.loads(sys.stdin.read())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", job["settings_module"])
    import django

    django.setup()
    from django.utils import translation

    from kliyan.contacts.models import CustomFieldDefinition
    from kliyan.imports.pipeline import clean_rows, rows_after
    from kliyan.imports.readers import FileInfo, UnreadableFile
    from kliyan.imports.rows import RowCleaner

    translation.activate(job["language"])
    gc.freeze()  # as the writer does (kliyan.imports.services.quiet_garbage_collector)
    out = sys.stdout.buffer
    try:
        definitions = [CustomFieldDefinition(**values) for values in job["definitions"]]
        cleaner = RowCleaner(target=job["target"], mapping=job["mapping"], region=job["region"], headers=job["headers"],
                             definitions=definitions)
        with open(job["path"], "rb") as stream:
            for batch in clean_rows(rows_after(stream, FileInfo(**job["info"]), job["after_row"]), cleaner, job["batch_size"]):
                write_frame(out, ("batch", batch))
    except BrokenPipeError:
        os._exit(1)  # the writer has gone: nobody to tell, nothing to flush
    except (UnreadableFile, OSError) as error:
        write_frame(out, ("unreadable", str(error)))
    except Exception as error:  # noqa: BLE001 - told to the writer, which fails the run with it
        write_frame(out, ("error", f"{type(error).__name__}: {error}"))
    else:
        write_frame(out, ("done", None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
