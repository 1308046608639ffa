"""The product library: every product folder under one root, reloaded when files change.

Files edited outside the app are picked up: on access, each product folder's "stamp" (size and
mtime of product.json and of every segment file) is compared with the one it was loaded with,
at most once per ``check_interval`` seconds. Saves go through temp file + ``os.replace``.

Product order: ``<root>/library.json`` ``{"order": ["slug", …]}`` if present, then the other
folders alphabetically.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from pathlib import Path

from app import paths
from app.content.atomic import write_text_atomic
from app.content.product import (
    BASE_SUFFIX,
    SEGMENT_NAME,
    TEMPLATE_SUFFIX,
    Product,
    ProductError,
    Segment,
    load_segment,
    product_from_json,
)
from app.content.textfile import UnreadableFile, read_operator_text
from app.logs import get_logger
from app.text.keywords import KeywordMatcher, KeywordRule

log = get_logger("content")
SLUG = re.compile(r"^[\w-]+$")
MAX_NOTICES = 50


def _stamp(folder: Path) -> tuple:
    items = []
    for p in (folder / "product.json", folder / "segments"):
        try:
            st = p.stat()
            items.append((p.name, st.st_mtime_ns, st.st_size))
        except OSError:
            items.append((p.name, None, None))
    seg = folder / "segments"
    if seg.is_dir():
        for p in sorted(seg.iterdir()):
            try:
                st = p.stat()
            except OSError:
                continue
            items.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(items)


class ProductLibrary:
    def __init__(self, root: str | Path, *, check_interval: float = 1.0, clock=time.monotonic):
        self.root = Path(root)
        self.check_interval = check_interval
        self._clock = clock
        self._lock = threading.RLock()
        self._cache: dict[str, tuple[tuple, Product | ProductError]] = {}
        self._checked_at: float | None = None
        self._order: list[str] = []
        self.generation = 0  # bumped whenever something reloads; cheap change detection
        self._matcher: tuple[int, KeywordMatcher] | None = None  # (generation, automaton)
        self._notices: list[str] = []

    @classmethod
    def default(cls, **kw) -> ProductLibrary:
        """The operator's library (data/products), seeded from the bundled demo products the
        first time when it does not exist yet."""
        root = paths.data_dir() / "products"
        bundled = paths.bundled_data_dir() / "products"
        if not root.exists() and bundled.exists() and bundled.resolve() != root.resolve():
            shutil.copytree(bundled, root)
        return cls(root, **kw)

    # ---- reading ----------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        """Reload what changed on disk (rate-limited unless ``force``)."""
        with self._lock:
            now = self._clock()
            if not force and self._checked_at is not None and now - self._checked_at < self.check_interval:
                return
            self._checked_at = now
            folders = sorted(p.name for p in self.root.iterdir()
                             if p.is_dir() and SLUG.match(p.name) and (p / "product.json").exists()) \
                if self.root.is_dir() else []
            for slug in list(self._cache):
                if slug not in folders:
                    del self._cache[slug]
                    self.generation += 1
            for slug in folders:
                folder = self.root / slug
                stamp = _stamp(folder)
                cached = self._cache.get(slug)
                if cached is not None and cached[0] == stamp:
                    continue
                self._cache[slug] = (stamp, self._load(slug, folder))
                self.generation += 1
            self._order = self._ordered(folders)

    def _load(self, slug: str, folder: Path) -> Product | ProductError:
        """The product, or why it cannot be loaded (kept, so it shows as broken rather than
        vanishing; every reason is logged)."""
        path = folder / "product.json"
        try:
            raw, notice = read_operator_text(path)
            if notice:
                self._note(notice)
            product = product_from_json(slug, folder, raw)
        except ProductError as exc:
            log.warning("商品 %s 无法加载，修正后自动重新读取:\n%s", slug, exc)
            return exc
        except UnreadableFile as exc:
            log.warning("商品 %s 无法加载: %s", slug, exc)
            return ProductError(path, [str(exc)])
        except OSError as exc:
            log.warning("商品 %s 无法读取: %s: %s", slug, path, exc)
            return ProductError(path, [f"{path}:1: 无法读取（{exc.strerror or exc}）"])
        except Exception as exc:  # whatever a file holds, one product must not stop the library
            log.exception("商品 %s 加载出错", slug)
            return ProductError(path, [f"{path}:1: 加载出错（{type(exc).__name__}: {exc}）"])
        for n in product.notices:
            self._note(n)
        for seg in product.segments:
            for line in seg.error_lines():
                log.warning("段落修正前不会播出: %s", line)
        return product

    def _note(self, notice: str) -> None:
        with self._lock:
            self._notices.append(notice)
            del self._notices[:-MAX_NOTICES]

    def notices(self) -> list[str]:
        """Files converted while reading (GBK → UTF-8, the original kept as a backup), newest
        last, in Chinese: for the GUI to show once and the log (already written)."""
        with self._lock:
            return list(self._notices)

    def _ordered(self, folders: list[str]) -> list[str]:
        order: list[str] = []
        lib = self.root / "library.json"
        if lib.exists():
            try:
                wanted = json.loads(read_operator_text(lib)[0]).get("order", [])
                order = [s for s in wanted if isinstance(s, str) and s in folders]
            except (ValueError, AttributeError, TypeError, OSError, RecursionError) as exc:
                log.warning("%s 未使用（商品按名称排序）: %s", lib, exc)
        return order + [s for s in folders if s not in order]

    def slugs(self) -> list[str]:
        """Every product folder (loadable or not), in library order."""
        self.refresh()
        with self._lock:
            return list(self._order)

    def products(self, *, enabled_only: bool = False) -> list[Product]:
        """The products that loaded, in library order."""
        self.refresh()
        with self._lock:
            out = [self._cache[s][1] for s in self._order]
        return [p for p in out if isinstance(p, Product) and (p.enabled or not enabled_only)]

    def get(self, slug: str) -> Product | None:
        self.refresh()
        with self._lock:
            entry = self._cache.get(slug)
        return entry[1] if entry and isinstance(entry[1], Product) else None

    def errors(self) -> dict[str, ProductError]:
        """Products that did not load, by slug (they stay in ``slugs()``: shown as broken, with
        ``ProductError.problems`` as ``product.json:LINE: reason`` lines)."""
        self.refresh()
        with self._lock:
            return {s: e for s, (_, e) in self._cache.items() if isinstance(e, ProductError)}

    def problems(self) -> list[str]:
        """Every problem as ``path[:line:col]: message`` lines: bad product.json files and
        segment templates that are saved but not speakable."""
        lines: list[str] = []
        for err in self.errors().values():
            lines += str(err).splitlines()
        for product in self.products():
            for seg in product.segments:
                lines += seg.error_lines()
        return lines

    def keyword_rules(self) -> list[KeywordRule]:
        """FAQ rules of every enabled product (each tagged with its product slug)."""
        return [r for p in self.products(enabled_only=True) for r in p.faq]

    def matcher(self) -> KeywordMatcher:
        """The enabled products' FAQ rules as one automaton, rebuilt only when a product changed
        on disk: building it per comment would cost more than the whole reply decision."""
        self.refresh()  # rate-limited; bumps generation when something changed
        with self._lock:
            if self._matcher is None or self._matcher[0] != self.generation:
                self._matcher = (self.generation, KeywordMatcher(self.keyword_rules()))
            return self._matcher[1]

    # ---- writing ----------------------------------------------------------------------------

    def save_segment(self, slug: str, name: str, *, base: str | None = None,
                     template: str | None = None) -> Segment:
        """Save a segment's base script and/or template atomically; returns it as loaded, with
        ``errors`` set when the template is invalid (it is saved anyway, not spoken)."""
        self._check_slug(slug)
        if not SEGMENT_NAME.match(name):
            raise ValueError(f"segment name {name!r} may only contain letters, digits, '_' and '-'")
        folder = self.root / slug / "segments"
        if base is not None:
            write_text_atomic(folder / f"{name}{BASE_SUFFIX}", base)
        if template is not None:
            write_text_atomic(folder / f"{name}{TEMPLATE_SUFFIX}", template)
        self.refresh(force=True)
        product = self.get(slug)
        allowed = frozenset(product.variables) if product else frozenset()
        return (product.segment(name) if product else None) or load_segment(folder, name, allowed)

    def save_product(self, slug: str, data: dict) -> Product:
        """Validate and save product.json atomically. Invalid data raises ProductError and the
        file on disk is left as it was."""
        self._check_slug(slug)
        folder = self.root / slug
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        product_from_json(slug, folder, text)  # raises with every problem before writing
        write_text_atomic(folder / "product.json", text)
        self.refresh(force=True)
        product = self.get(slug)
        if product is None:  # pragma: no cover - validated above
            raise ProductError(folder / "product.json", ["saved but did not load"])
        return product

    def save_order(self, order: list[str]) -> None:
        write_text_atomic(self.root / "library.json",
                          json.dumps({"order": list(order)}, ensure_ascii=False, indent=2) + "\n")
        self.refresh(force=True)

    @staticmethod
    def _check_slug(slug: str) -> None:
        if not SLUG.match(slug):
            raise ValueError(f"product folder name {slug!r} may only contain letters, digits, '_' and '-'")
