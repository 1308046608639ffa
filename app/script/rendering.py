"""The script scheduler's producing side: which product and which of its segments is read next
(the rotation: ``order``, ``segment_order``, the dwell of ``product_dwell_*``, a pinned
product), each reading rendered, split into clauses and prepared into ``SCRIPT`` SpeechRequests,
and the look-ahead topped up with them.

A mixin of ``ScriptScheduler`` (``app/script/scheduler.py``), which owns the state and the lock.
"""

from __future__ import annotations

import time

from app import events
from app.content.product import Product
from app.text.prepare import make_request
from app.text.variants import MissingVariable

Channel = events.Channel


def spoken_time(now: float) -> str:
    lt = time.localtime(now)
    return f"{lt.tm_hour}点整" if lt.tm_min == 0 else f"{lt.tm_hour}点{lt.tm_min}分"


class ScriptRendering:
    """Mixin: see the module docstring."""

    def _top_up(self, now: float) -> None:
        empty_renderings = 0
        while self._ahead.ahead_s(now) < self.lookahead_s and len(self._ahead) < self.max_outstanding:
            if not self._pending:
                if not self._render_next(now):
                    empty_renderings += 1
                    if empty_renderings > 20 or self._idle_reported:
                        return
                    continue
            request = self._pending.popleft()
            self._ahead.add(request)
            self.bus.publish(Channel.SPEECH_REQUESTS, request)

    def _speakable_products(self) -> list[Product]:
        return [p for p in self.library.products(enabled_only=True) if p.speakable_segments]

    def _segment_names(self, product: Product) -> list[str]:
        names = [s.name for s in product.speakable_segments]
        if self.segment_order == "shuffle":
            self._rng.shuffle(names)
        return names

    def _next_product(self, products: dict[str, Product], now: float) -> str | None:
        if self._pinned in products:
            return self._pinned
        if not self.rotate_products and self._product in products:
            return self._product
        if self._product in products and not self._dwelt(now):
            return self._product  # another reading of the same product
        self._products_left = [s for s in self._products_left if s in products]
        if not self._products_left:
            order = list(products)
            if self.order == "shuffle":
                self._rng.shuffle(order)
                if len(order) > 1 and order[0] == self._product:
                    order.append(order.pop(0))  # never the same product twice in a row
            self._products_left = order
        return self._products_left.pop(0) if self._products_left else None

    def _render_next(self, now: float) -> bool:
        """Render the next segment into ``_pending``; False if nothing was produced."""
        products = {p.slug: p for p in self._speakable_products()}
        if not products:
            if not self._idle_reported:
                self._idle_reported = True
                self._report("no product has a speakable script segment; the script is silent")
            return False
        self._idle_reported = False
        if self._product is not None and self._product not in products:
            self._segments_left = []
        if not self._started_product:
            # The first rendering: begin with the start product (if any), then rotate on.
            self._started_product = True
            if self._product in products:
                self._product_since = now
                self._segments_left = self._segment_names(products[self._product])
                order = list(products)
                self._products_left = order[order.index(self._product) + 1:]
        if not self._segments_left:
            if self._product_since is not None:
                self._passes += 1
            previous = self._product
            self._product = self._next_product(products, now)
            if self._product != previous or self._product_since is None:
                self._passes = 0
                self._product_since = now
            self._segments_left = self._segment_names(products[self._product])
        product = products[self._product]
        segment = product.segment(self._segments_left.pop(0))
        if segment is None or not segment.speakable:  # edited since the list was made
            return False
        values = {**product.template_values(), "time": spoken_time(now), "segment": segment.name}
        try:
            text = self._renderer.render(segment.template, values)
        except MissingVariable as exc:
            self._report(f"{segment.template_path}: {exc} (segment skipped)")
            return False
        self._renderings += 1
        group = f"{self._session}-{self._renderings}"
        clauses = self.prepare.split(text, self.prepare.limits.script_clause_chars)
        sentences = [prepared for prepared in map(self.prepare, clauses) if prepared.ok]
        for i, prepared in enumerate(sentences):
            self._pending.append(make_request(
                prepared, id=f"script-{group}.{i}", kind="script", priority=events.Priority.SCRIPT,
                created_at=now, product=product.slug, segment=segment.name, sentence_index=i, group=group))
        return bool(sentences)

    def _dwelt(self, now: float) -> bool:
        """The current product has been on long enough to rotate on."""
        if self.product_dwell_minutes > 0:
            return self._product_since is None or now - self._product_since >= self.product_dwell_minutes * 60
        return self._passes >= self.product_dwell_passes
