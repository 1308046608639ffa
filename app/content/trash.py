"""The products' recycle bin: a deleted product folder is moved to ``<products>/.trash/`` (the
library only loads folders named like slugs, so it never sees these) and can be moved back.

Each trashed folder carries ``.deleted.json`` (its slug, name and when it was deleted), so a
product deleted twice, or restored under another name, is still told apart.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from app.content.atomic import read_text, write_text_atomic

TRASH = ".trash"
MARK = ".deleted.json"
_STAMP = re.compile(r"-\d{8}-\d{6}(?:-\d+)?$")  # folders trashed before MARK existed


@dataclass(frozen=True)
class TrashedProduct:
    path: Path  # the folder in the trash
    slug: str  # the folder name it had in the library
    name: str  # the product's name, as far as it can be read
    deleted_at: float  # seconds since the epoch


def trash_dir(root: Path) -> Path:
    return Path(root) / TRASH


def move_to_trash(library, slug: str, *, now: float | None = None) -> Path:
    """Move ``slug``'s folder to the trash and drop it from the library order."""
    root = Path(library.root)
    src = root / slug
    when = time.time() if now is None else now
    name = _name_of(src) or slug
    folder = trash_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{slug}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(when))}"
    n = 2
    while dest.exists():
        dest = dest.with_name(f"{dest.name.rsplit('~', 1)[0]}~{n}")
        n += 1
    write_text_atomic(src / MARK, json.dumps({"slug": slug, "name": name, "deleted_at": when},
                                             ensure_ascii=False) + "\n")
    shutil.move(str(src), str(dest))
    library.save_order([s for s in library.slugs() if s != slug])
    return dest


def trashed(root: Path) -> list[TrashedProduct]:
    """What can be restored, newest first."""
    folder = trash_dir(root)
    out = []
    if folder.is_dir():
        for p in folder.iterdir():
            if not p.is_dir():
                continue
            slug, name, when = _STAMP.sub("", p.name.split("~")[0]), "", p.stat().st_mtime
            try:
                mark = json.loads(read_text(p / MARK))
                slug = str(mark.get("slug") or slug)
                name = str(mark.get("name") or "")
                when = float(mark.get("deleted_at") or when)
            except (OSError, ValueError, AttributeError, TypeError):
                pass
            out.append(TrashedProduct(p, slug, name or _name_of(p) or slug, when))
    return sorted(out, key=lambda t: t.deleted_at, reverse=True)


def restore(library, item: TrashedProduct) -> str:
    """Move ``item`` back into the library (under a new slug if its old one is taken), at the
    end of the order. Returns the slug it has now."""
    root = Path(library.root)
    slug, n = item.slug, 2
    while (root / slug).exists():
        slug, n = f"{item.slug}-{n}", n + 1
    shutil.move(str(item.path), str(root / slug))
    (root / slug / MARK).unlink(missing_ok=True)
    library.save_order([s for s in library.slugs() if s != slug] + [slug])
    return slug


def _name_of(folder: Path) -> str:
    try:
        data = json.loads(read_text(folder / "product.json"))
    except (OSError, ValueError):
        return ""
    name = data.get("name") if isinstance(data, dict) else None
    return name.strip() if isinstance(name, str) else ""
