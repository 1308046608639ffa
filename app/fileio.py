"""File reading and atomic writing of the operator's text files (config.ini, products,
templates): a reader, or a crash mid-save, sees the old file or the new one, never half."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) via a temp file in the same folder and
    ``os.replace``, keeping the file's permissions. On any failure the previous file is left
    untouched and the temp file removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_text(path: str | os.PathLike) -> str:
    """A text file as the operator wrote it (UTF-8, a BOM dropped, line endings kept)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return fh.read()
