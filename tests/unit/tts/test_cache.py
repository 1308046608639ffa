import numpy as np

from app.tts.cache import AudioCache, make_key


def tone(seconds=0.5, rate=16000, f=440.0):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32)


def test_hit_returns_the_same_audio_and_survives_restart(tmp_path):
    cache = AudioCache(tmp_path)
    key = make_key("你好", {"voice": "a"}, "gptsovits", 16000)
    assert cache.get(key) is None
    cache.put(key, tone(), 16000)
    again = AudioCache(tmp_path)  # a new process
    samples, rate = again.get(key)
    assert rate == 16000 and np.max(np.abs(samples - tone())) < 1e-3


def test_key_depends_on_text_voice_and_engine():
    base = make_key("你好", {"voice": "a"}, "gptsovits", 16000)
    assert base != make_key("你好！", {"voice": "a"}, "gptsovits", 16000)
    assert base != make_key("你好", {"voice": "b"}, "gptsovits", 16000)
    assert base != make_key("你好", {"voice": "a"}, "espeak", 16000)


def test_lru_eviction_by_total_size_keeps_the_recently_used(tmp_path):
    cache = AudioCache(tmp_path, max_bytes=10**9)
    cache.put("a", tone(), 16000)
    size = cache.total_bytes
    cache.max_bytes = int(size * 2.5)
    cache.put("b", tone(f=500), 16000)
    assert cache.get("a") is not None  # a is now more recent than b
    cache.put("c", tone(f=600), 16000)
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.total_bytes <= cache.max_bytes and cache.evictions == 1
    assert not (tmp_path / "b.wav").exists()


def test_corrupt_entry_is_detected_removed_and_missed(tmp_path):
    cache = AudioCache(tmp_path)
    cache.put("k", tone(), 16000)
    path = tmp_path / "k.wav"
    body = bytearray(path.read_bytes())
    body[-100] ^= 0x55  # one flipped byte in the audio
    path.write_bytes(bytes(body))
    cache2 = AudioCache(tmp_path)
    assert cache2.get("k") is None
    assert not path.exists() and cache2.corrupt == 1
    path.write_bytes(b"RIFF")  # and a file cut short
    assert AudioCache(tmp_path).get("k") is None
