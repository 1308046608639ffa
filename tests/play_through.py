"""Play a scripted sequence of spoken lines and pauses through the live room's output (the
mixing sink the runtime builds from config.ini), writing as the player does. Run in its own
process by the sound-server tests, so SDL starts on the real sound server:

    python -m tests.play_through --config CFG --plan '[["say", "…"], ["wait", 3]]' [--sink device]
                                 [--report OUT.json]

A line is spoken by espeak-ng. The report: what the sink reports, the segments (seconds since
start) and the health/music events it published.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--plan", required=True, help="JSON list of [\"say\", text] and [\"wait\", seconds]")
    p.add_argument("--sink", default="device")
    p.add_argument("--report", type=Path)
    args = p.parse_args(argv)

    import numpy as np
    import soxr

    from app import config, events, wiring
    from app.audio.outputs import make_sink
    from app.bus.memory import MemoryBus
    from app.tts import espeak

    snap = config.load(args.config)
    rate = snap.get("audio", "sample_rate")
    bus = MemoryBus("play")
    seen: list = []
    lock = threading.Lock()

    def keep(ev) -> None:
        with lock:
            seen.append(events.to_dict(ev) | {"at": round(time.monotonic() - t0, 3)})

    bus.subscribe(events.Channel.SYSTEM, keep)
    bus.subscribe(events.Channel.PLAYER_STATE, keep)
    plan = json.loads(args.plan)
    clips = {}
    for step, value in plan:
        if step == "say" and value not in clips:
            samples, native = espeak.synthesize(value)
            x = soxr.resample(samples.astype(np.float32) / 32768, native, rate)
            x *= 10 ** (snap.get("tts", "loudness_target_db") / 20) / max(1e-6, float(np.sqrt(np.mean(x ** 2))))
            clips[value] = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()

    sink = make_sink(args.sink, rate, output=wiring.output_settings(snap), bus=bus)
    t0 = time.monotonic()
    sink.open()
    chunk = snap.get("audio", "chunk_bytes")
    for i, (step, value) in enumerate(plan):
        if step == "wait":
            time.sleep(float(value))
            continue
        pcm = clips[value]
        for k in range(0, len(pcm), chunk):
            piece = pcm[k:k + chunk]
            while (wait := sink.room_in(len(piece))) > 0:
                time.sleep(min(wait, 0.02))
            sink.write(piece, f"u{i}")
    time.sleep(sink.ahead_s() + 0.3)
    sink.close()
    time.sleep(0.2)  # the bus hands the last events over on its own thread
    report = {"sink": sink.report(), "rate": rate,
              "segments": [{"id": s.id, "start": s.start / rate, "end": s.end / rate} for s in sink.segments],
              "events": seen}
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    else:
        print(text)
    bus.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
