"""The sink a sink spec names (``--sink``, the runtime's choice): the mixing sink for the room,
or one of the plain sinks. Apart from ``sinks`` and ``mixer`` so that neither imports the other
back (the mixing sink is built on the plain paced sink)."""

from __future__ import annotations

from app.audio.mixer import MixingSink
from app.audio.output_settings import OutputSettings
from app.audio.sinks import NullSink, Sink, SounddeviceSink, WavFileSink


def make_sink(spec: str, sample_rate: int, *, output=None, bus=None, **kwargs) -> Sink:
    """``wav:PATH`` | ``null`` | ``device`` | ``pygame`` | ``sounddevice``.

    With ``output`` (``OutputSettings``, what the runtime passes) ``device``/``pygame``,
    ``wav:`` and ``null`` give the ``MixingSink``: the device by name, the monitor, background
    music, the labelled recording, reports on ``bus``. Without it, the plain sinks of ``sinks``."""
    spec = spec.strip()
    if spec.startswith("wav:") and not spec[4:]:
        raise ValueError("sink 'wav:' needs a file path, e.g. wav:out/run.wav")
    if output is None and spec in ("device", "pygame"):
        output = OutputSettings()  # the system default device, no music, no monitor
    if output is not None and (spec in ("device", "pygame", "null") or spec.startswith("wav:")):
        return MixingSink(sample_rate, output, device=spec in ("device", "pygame"),
                          wav_path=spec[4:] if spec.startswith("wav:") else None, bus=bus, **kwargs)
    if spec.startswith("wav:"):
        return WavFileSink(spec[4:], sample_rate, **kwargs)
    if spec == "null":
        return NullSink(sample_rate, **kwargs)
    if spec == "sounddevice":
        return SounddeviceSink(sample_rate, **kwargs)
    raise ValueError(f"unknown sink {spec!r}: expected wav:PATH, null, device, pygame or sounddevice")
