"""插播音频: an audio file the operator plays as an urgent item through the same queue as speech.

The file (WAV, MP3, FLAC, OGG … whatever libsndfile reads, through ``soundfile``) is mixed down
to mono, levelled like synthesised speech, resampled to the output rate and written where the
TTS stage writes its utterances. The result is a ``SpeechReady`` whose request is a ``say_now``
item; the player enqueues it on receipt. (No ``SpeechRequest`` goes to ``speech.requests``: the
TTS stage would synthesise its text and race the file's own audio.)

Every problem is a ``PlayFileError`` with a Chinese message that says what to do.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from app import events
from app.media.resample import resample
from app.media.wav import to_int16, write_wav
from app.tts.postprocess import normalize_loudness

MAX_SECONDS = 600.0  # a longer insert is almost surely the wrong file; it would hold the room
SILENT_PEAK = 1e-3  # -60 dBFS: nothing audible


class PlayFileError(Exception):
    """The file cannot be played; the message is for the operator."""


def prepare_play_file(cmd: events.PlayFile, *, utterance_id: str, out_dir: Path, sample_rate: int,
            target_dbfs: float = -18.0, peak_dbfs: float = -1.0) -> events.SpeechReady:
    import soundfile

    path = Path(cmd.path)
    name = cmd.label or path.name
    if not path.is_file():
        raise PlayFileError(f"插播音频：找不到文件 {path}，请重新选择。")
    try:
        info = soundfile.info(str(path))
        if info.duration > MAX_SECONDS:
            raise PlayFileError(f"插播音频：{path.name} 长 {info.duration / 60:.0f} 分钟，超过 "
                                f"{MAX_SECONDS / 60:.0f} 分钟的上限；请剪短后再插播。")
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except PlayFileError:
        raise
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, OSError) as exc:
        raise PlayFileError(f"插播音频：无法读取 {path.name}（{exc}）。支持 WAV、MP3、FLAC、OGG 等格式。") from None
    samples = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if not len(samples) or float(np.max(np.abs(samples))) < SILENT_PEAK:
        raise PlayFileError(f"插播音频：{path.name} 里没有声音，未插播。")
    samples = normalize_loudness(samples.astype(np.float32), rate, target_dbfs, peak_dbfs)
    pcm = to_int16(resample(samples, rate, sample_rate))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{utterance_id}.wav"
    tmp = out.with_suffix(".tmp")
    write_wav(tmp, pcm, sample_rate)
    tmp.replace(out)  # the player never sees half a file
    request = events.SpeechRequest(id=utterance_id, text=f"插播音频：{name}", kind="say_now",
                                   priority=int(cmd.priority), created_at=time.time())
    return events.SpeechReady(request=request, audio_path=str(out), sample_rate=sample_rate,
                              duration_s=round(len(pcm) / sample_rate, 4), route="file")
