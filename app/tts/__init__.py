"""TTS stage (design §7): GPT-SoVITS client, quality check, rotation, cache, pool, espeak-ng
fallback. The runtime builds ``app.tts.pool.TtsPool`` from ``app.tts.settings`` types."""
