"""The airtime ledger's per-minute sums."""

from __future__ import annotations

import threading

from app.director import Airtime

# A start that lands on a minute's boundary where (t - t0) // 60 rounds down to the minute
# before: 17242.060167127718 - 14302.06016712772 is just under 49 × 60 in floating point.
T0 = 14302.06016712772
ON_BOUNDARY = T0 + 49 * 60


def test_a_stretch_starting_on_a_rounded_minute_boundary_is_summed_and_returns():
    airtime = Airtime(T0)
    done = threading.Event()

    def add() -> None:
        airtime.add("script", ON_BOUNDARY, ON_BOUNDARY + 90.0)
        airtime.begin("answer", ON_BOUNDARY + 90.0)
        airtime.per_minute(ON_BOUNDARY + 95.0)
        done.set()

    threading.Thread(target=add, daemon=True).start()
    assert done.wait(5), "the per-minute sum never returned (the player thread would spin forever)"
    minutes = airtime.per_minute(ON_BOUNDARY + 95.0)
    assert sum(m["script"] for m in minutes) == 90.0
    assert sum(m["answer"] for m in minutes) == 5.0
    assert all(sum(m.values()) <= 60.0 + 1e-6 for m in minutes)


def test_minutes_split_a_stretch_at_their_boundaries():
    airtime = Airtime(0.0)
    airtime.add("thanks", 50.0, 130.0)
    minutes = airtime.per_minute()
    assert [m["thanks"] for m in minutes] == [10.0, 60.0, 10.0]
