"""Requests per minute and concurrency limits, seen from the server's side."""

from __future__ import annotations

import threading
import time

import pytest

from app.llm import errors
from app.llm.limits import RateLimiter, RetryPolicy
from app.llm.provider import Timeouts
from tests.standins.llm_common import Behaviour
from tests.unit.llm.conftest import fast_limits

MSG = [{"role": "user", "content": "在吗"}]


def _run_parallel(client, n):
    results, threads = [], []
    for _ in range(n):
        t = threading.Thread(target=lambda: results.append(client.complete(MSG)))
        t.start()
        threads.append(t)
    for t in threads:
        t.join(5)
    return results


def test_concurrency_limit_serialises_requests(rig_factory):
    rig = rig_factory(Behaviour(default_answer="在的。", first_token_s=0.15))
    client = rig.client(fast_limits(max_concurrency=1))
    assert _run_parallel(client, 2) == ["在的。", "在的。"]
    a, b = sorted(r.received_at for r in rig.requests)
    assert b - a >= 0.15  # the second started only after the first finished


def test_requests_per_window_are_paced(rig_factory):
    rig = rig_factory(Behaviour(default_answer="在的。"))
    client = rig.client(fast_limits(requests_per_minute=2, rate_window=0.4))
    for _ in range(3):
        client.complete(MSG)
    times = sorted(r.received_at for r in rig.requests)
    assert times[1] - times[0] < 0.2
    # the third waits for the 0.4 s window; measured where the server received them, so allow
    # for the first request having spent a little longer on the way than the third
    assert times[2] - times[0] >= 0.4 - 0.05


def test_rate_limit_that_cannot_be_met_in_time_is_reported(rig_factory):
    rig = rig_factory(Behaviour(default_answer="在的。"))
    limits = fast_limits(requests_per_minute=1, rate_window=10.0,
                         timeouts=Timeouts(connect=1.0, first_token=0.5, total=0.5))
    client = rig.client(limits)
    client.complete(MSG)
    t0 = time.monotonic()
    with pytest.raises(errors.RateLimited) as exc:
        client.complete(MSG)
    assert time.monotonic() - t0 < 2.0  # fails fast instead of waiting out the 10 s window
    assert "requests/min" in str(exc.value)
    assert len(rig.requests) == 1


def test_rate_limiter_sliding_window_with_a_fake_clock():
    now = [100.0]
    limiter = RateLimiter(2, window=60.0, clock=lambda: now[0])
    limiter.acquire(deadline=1e9)
    now[0] += 30
    limiter.acquire(deadline=1e9)
    from app.llm.limits import WaitAborted
    with pytest.raises(WaitAborted):
        limiter.acquire(deadline=now[0] + 29)  # the first slot frees at t=160, after the deadline
    now[0] += 30.5
    assert limiter.acquire(deadline=now[0]) == 0.0


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0, jitter=0.25)
    assert [policy.delay(n, rng=lambda: 0.0) for n in range(6)] == [0.5, 1, 2, 4, 8, 8]
    assert policy.delay(0, rng=lambda: 1.0) == pytest.approx(0.375)
