"""Options of the stream's machinery: the live feed, the bus, the LLM, TTS (servers and voice
models) and audio output. One ``Option`` per setting; ``applies`` says when a change takes effect
(LIVE: at once, through the consumers ``app.wiring.register_live`` registers; AT_START: the next 开播;
AT_RESTART: the next launch of the app).
"""

from __future__ import annotations

from app.config.schema import AT_RESTART, AT_START, Option, SectionSpec
from app.config.types import (
    Bool,
    Choice,
    Float,
    Int,
    IntChoice,
    ListOf,
    PathValue,
    SecretValue,
    Str,
    Url,
)

_NAME = Str(pattern=r"[A-Za-z0-9_\-]+", pattern_text="a name of letters, digits, _ or -")
_GPT_LANGS = ("zh", "en", "ja", "ko", "yue", "auto", "auto_yue", "all_zh", "all_ja", "all_yue", "all_ko")

DOUYIN = SectionSpec("douyin", "抖音弹幕源（dy-barrage-grab）", "Douyin live feed (dy-barrage-grab)", (
    Option("douyin", "url", Url(("ws", "wss")), "ws://127.0.0.1:8888",
           "弹幕抓取程序的 WebSocket 地址", "WebSocket address of dy-barrage-grab", applies=AT_START),
    Option("douyin", "room", Str(max_len=300), "",
           "只听我们的直播间：填主播的 SecUid、UserId 或直播间号（live.douyin.com/后面的数字，也可粘贴整个链接）；"
           "留空则锁定开播后出现的第一个直播间。弹幕抓取程序会转发电脑上所有打开的直播间",
           "our room only: the anchor's SecUid, UserId or WebRoomId (the number after live.douyin.com/, or "
           "the whole link); empty = lock onto the first room seen after start. dy-barrage-grab forwards "
           "every room open on the PC", applies=AT_START),
    Option("douyin", "reconnect_initial_s", Float(0.05, 1.0), 0.5,
           "断线后第一次重连等待秒数（不超过 1 秒）", "seconds before the first reconnect attempt (at most 1)",
           applies=AT_START),
    Option("douyin", "reconnect_max_s", Float(0.5, 600), 30.0,
           "重连等待的上限秒数（指数退避）", "cap of the exponential reconnect backoff, seconds", applies=AT_START),
    Option("douyin", "stall_timeout_s", Float(1, 600), 60.0,
           "多少秒没有任何消息就判定连接已死并重连", "no frame for this many seconds = dead link, reconnect",
           applies=AT_START),
    Option("douyin", "ping_interval_s", Float(0.5, 300), 10.0,
           "心跳 ping 间隔秒数", "seconds between client pings", applies=AT_START),
    Option("douyin", "ping_timeout_s", Float(0.5, 300), 10.0,
           "等待 pong 的秒数，超时即重连", "seconds to wait for a pong before reconnecting", applies=AT_START),
    Option("douyin", "open_timeout_s", Float(0.5, 120), 5.0,
           "建立连接的超时秒数", "timeout for opening the connection, seconds", applies=AT_START),
    Option("douyin", "health_interval_s", Float(0.5, 300), 5.0,
           "连接状态上报间隔秒数", "seconds between feed health reports", applies=AT_START),
    Option("douyin", "dedup_window", Int(100, 1_000_000), 4096,
           "用于去重的最近消息 ID 数量", "how many recent message ids are remembered to drop duplicates",
           applies=AT_START),
    Option("douyin", "max_buffered_events", Int(100, 1_000_000), 10_000,
           "积压上限：超出后先丢弃点赞和进场", "backlog limit; beyond it likes and entries are shed first",
           applies=AT_START),
))

BUS = SectionSpec("bus", "消息总线", "Message bus", (
    Option("bus", "url", Url(("redis", "rediss"), keywords=("auto", "memory")), "auto",
           "auto=内置 Redis，memory=进程内，或 redis://主机:端口/库", "auto = embedded Redis, memory = in-process, "
           "or redis://host:port/db", applies=AT_RESTART),
    Option("bus", "namespace", _NAME, "live",
           "频道名前缀，多个直播间共用一个 Redis 时区分", "channel prefix, so several rooms can share one Redis",
           applies=AT_RESTART),
))

LLM = SectionSpec("llm", "大模型回答", "LLM answers", (
    Option("llm", "provider", Choice(("ark", "ollama", "none")), "none",
           "大模型：ark=火山方舟，ollama=本地，none=只用关键词回复", "ark = Volcengine Ark, ollama = local, "
           "none = keyword replies only", applies=AT_START),
    Option("llm", "model", Str(), "",
           "模型名或方舟接入点 ID（ep-…）", "model name, or an Ark endpoint id (ep-…)", applies=AT_START),
    Option("llm", "base_url", Url(("http", "https")), "https://ark.cn-beijing.volces.com/api/v3",
           "方舟 API 地址", "Ark API base URL", applies=AT_START),
    Option("llm", "ollama_host", Url(("http", "https")), "http://127.0.0.1:11434",
           "Ollama 服务地址", "Ollama server address", applies=AT_START),
    Option("llm", "api_key", SecretValue(), "",
           "方舟 API 密钥（存入系统钥匙串或环境变量 ARK_API_KEY，不要写在这里）",
           "Ark API key (kept in the OS keyring or env ARK_API_KEY, not here)", applies=AT_START, env="ARK_API_KEY"),
    Option("llm", "connect_timeout_s", Float(0.1, 120), 5.0,
           "连接超时秒数", "connect timeout, seconds", applies=AT_START),
    Option("llm", "first_token_timeout_s", Float(0.1, 300), 15.0,
           "首字超时秒数", "time allowed until the first token, seconds", applies=AT_START),
    Option("llm", "total_timeout_s", Float(1, 600), 60.0,
           "整个回答的超时秒数", "time allowed for a whole answer, seconds", applies=AT_START),
    Option("llm", "max_retries", Int(0, 10), 2,
           "可重试错误（429、5xx、断连）的重试次数", "retries for retryable errors (429, 5xx, connection)", applies=AT_START),
    Option("llm", "backoff_base_s", Float(0.01, 30), 0.5,
           "重试等待的基数秒数（指数增长）", "base of the exponential retry backoff, seconds", applies=AT_START),
    Option("llm", "max_concurrency", Int(1, 32), 2,
           "同时进行的请求数", "requests in flight at once", applies=AT_START),
    Option("llm", "requests_per_minute", Int(1, 10_000), 60,
           "每分钟最多请求数", "request limit per minute", applies=AT_START),
    Option("llm", "temperature", Float(0, 2), 0.7,
           "生成温度", "sampling temperature", applies=AT_START),
    Option("llm", "max_tokens", Int(16, 8192), 300,
           "单次回答最多 token 数", "most tokens the model may generate per answer", applies=AT_START),
    Option("llm", "thinking", Choice(("default", "enabled", "disabled", "auto")), "disabled",
           "深度思考（方舟和 Ollama 的推理模式）：disabled=不思考，回答最快，直播用；default=模型默认，推理模型会先"
           "思考很久，首字容易超时", "deep thinking (Ark thinking, Ollama think): disabled = no reasoning, fastest "
           "answers, for live rooms; default = the model's own setting (reasoning models think first and the "
           "first token can time out)", applies=AT_START),
    Option("llm", "keep_alive", Str(pattern=r"-?\d+(\.\d+)?(ms|s|m|h)?",
                                    pattern_text="a duration such as 30m, 1h, 600 (seconds) or -1 (forever)"),
           "30m", "Ollama 模型在两次提问之间保持加载的时长（如 30m、1h，-1 为一直保持）；Ollama 默认 5 分钟后卸载，"
           "再提问要重新加载，首字会超时", "how long Ollama keeps the model loaded between questions (30m, 1h, "
           "-1 = always); Ollama's own default unloads it after 5 minutes and the next answer pays a cold load",
           applies=AT_START),
    Option("llm", "warm_up_timeout_s", Float(0, 900), 120.0,
           "开播时预先加载模型最多等待的秒数（0=不预热）；预热期间的提问在加载完成后回答",
           "seconds the model may take to load at start (0 = no warm-up); questions asked meanwhile are "
           "answered once it is loaded", applies=AT_START),
    Option("llm", "answer_sentences", Int(1, 10), 2,
           "要求模型回答的句数", "how many sentences the model is asked for"),
    Option("llm", "max_answer_chars", Int(10, 2000), 80,
           "回答最多字数", "longest answer, in characters"),
    Option("llm", "persona", Str(max_len=2000),
           "你是抖音直播间的带货主播，说话亲切自然、简短口语化；只根据商品资料回答，不知道就说会让客服确认；"
           "不夸大，不使用极限词和医疗功效用语。",
           "主播人设提示词（单行）", "persona prompt (one line)"),
))

TTS = SectionSpec("tts", "语音合成（GPT-SoVITS）", "Speech synthesis (GPT-SoVITS)", (
    Option("tts", "servers", ListOf(Url(("http", "https"))), ("http://127.0.0.1:9880",),
           "GPT-SoVITS 服务地址，逗号分隔；留空只用离线语音", "GPT-SoVITS servers, comma-separated; empty = "
           "offline voice only", applies=AT_START),
    Option("tts", "api_version", Choice(("v2", "v1")), "v2",
           "接口版本：v2=api_v2.py，v1=api.py", "API: v2 = api_v2.py, v1 = api.py", applies=AT_START),
    Option("tts", "voices", ListOf(_NAME), (),
           "轮换使用的音色（[voice.名称] 段名），留空=全部", "voice models to rotate through ([voice.NAME] "
           "sections); empty = all"),
    Option("tts", "workers", Int(1, 64), 2,
           "合成工作线程数", "synthesis worker threads", applies=AT_START),
    Option("tts", "per_server_concurrency", Int(1, 16), 1,
           "每台服务器同时处理的请求数。GPT-SoVITS 一次只算一句，大于 1 只会让请求在服务器上排队、超时，"
           "不建议修改", "requests at once per server. GPT-SoVITS computes one at a time: above 1 "
           "requests only queue on the server and time out; leave it at 1", applies=AT_START),
    Option("tts", "queue_max", Int(1, 100_000), 200,
           "待合成队列上限", "longest synthesis queue", applies=AT_START),
    Option("tts", "connect_timeout_s", Float(0.1, 60), 3.0,
           "连接超时秒数", "connect timeout, seconds", applies=AT_START),
    Option("tts", "request_timeout_s", Float(1, 600), 30.0,
           "单次合成超时秒数", "timeout of one synthesis, seconds", applies=AT_START),
    Option("tts", "need_deadline_s", Float(0.5, 60), 4.0,
           "播放器要播某句话时最多等 GPT-SoVITS 多少秒，超时就由备用语音先说（慢的请求继续，结果进缓存）",
           "seconds GPT-SoVITS has once the player needs an utterance; past that the fallback voice "
           "speaks it (the slow request goes on and fills the cache)"),
    Option("tts", "silent_deadline_s", Float(0.1, 60), 0.5,
           "冷场时（开播第一句、或播放器没有可播的语音时）GPT-SoVITS 真人音色最多等这么久，超过就先用离线声音说，"
           "避免冷场；真人音色合成好后存入缓存，下次直接用（不会超过上一项的等待秒数）",
           "seconds GPT-SoVITS has when the room is already silent waiting for the utterance (the "
           "first line of the live, or nothing left to play); past that the offline voice speaks it "
           "so the room is not silent, and the GPT-SoVITS result fills the cache for next time "
           "(never longer than need_deadline_s)"),
    Option("tts", "bench_after_timeouts", Int(1, 100), 2,
           "某个音色连续超时几次后暂停使用它（不影响同服务器上的其他音色）",
           "consecutive time-outs before a voice is benched (other voices on its server go on)"),
    Option("tts", "max_utterance_chars", Int(20, 5000), 200,
           "一条语音最多读多少字，更长的在句子边界截断并记录", "longest utterance in characters; "
           "longer text is cut at a sentence boundary, counted and logged"),
    Option("tts", "reassert_weights_minutes", Float(0, 1440), 0.0,
           "每隔多少分钟重新向服务器发送模型路径（0=只在连接失败、超时、暂停或探测之后）",
           "re-send the voice's weights this often, minutes (0 = only after a connection failure, "
           "time-out, bench or probe)", applies=AT_START),
    Option("tts", "max_attempts", Int(1, 20), 4,
           "一句话最多尝试次数（轮换音色和服务器）", "attempts per sentence, rotating models and servers"),
    Option("tts", "bench_after_failures", Int(1, 100), 3,
           "连续失败几次后暂停使用该服务器", "consecutive failures before a server is benched"),
    Option("tts", "bench_seconds", Float(1, 3600), 60.0,
           "服务器暂停使用的秒数（之后先探测）", "seconds a failing server stays benched (probed before reuse)"),
    Option("tts", "vad_mode", Int(0, 3), 2,
           "人声检测严格度 0-3（webrtcvad）", "voice-activity strictness 0-3 (webrtcvad)"),
    Option("tts", "min_voiced_ratio", Float(0, 1), 0.3,
           "有声部分最低占比，低于则判为坏音频", "lowest share of voiced audio; below it the audio is rejected"),
    Option("tts", "min_chars_per_s", Float(0.1, 50), 2.0,
           "语速下限（字/秒），低于则判为异常", "slowest plausible speech, characters per second"),
    Option("tts", "max_chars_per_s", Float(0.1, 50), 12.0,
           "语速上限（字/秒），高于则判为吞字", "fastest plausible speech, characters per second"),
    Option("tts", "max_sentence_chars", Int(10, 500), 60,
           "单次合成最长字数（更长的会切句）", "longest text per synthesis; longer text is split"),
    Option("tts", "loudness_target_db", Float(-40, 0), -18.0,
           "响度归一化目标（dBFS）", "loudness normalisation target, dBFS"),
    Option("tts", "speed_jitter", Float(0, 0.2), 0.03,
           "随机微调语速的幅度（防重复）", "random speed variation, anti-repetition (0.03 = ±3 %)"),
    Option("tts", "cache_dir", PathValue(non_empty=True), "data/cache/tts",
           "语音缓存目录", "folder of the synthesis cache", applies=AT_START),
    Option("tts", "cache_max_mb", Int(10, 100_000), 500,
           "语音缓存上限（MB）", "cache size limit, MB", applies=AT_START),
    Option("tts", "fallback", Choice(("espeak", "none")), "espeak",
           "所有服务器失败时的备用语音", "voice used when every server fails"),
    Option("tts", "espeak_voice", Str(non_empty=True), "cmn",
           "备用 espeak-ng 音色", "espeak-ng voice for the fallback"),
    Option("tts", "espeak_rate_wpm", Int(80, 450), 220,
           "备用 espeak-ng 语速（每分钟词数）：220 约每秒 4.8 个字，接近带货主播的语速；调小更慢更清楚",
           "speaking rate of the espeak-ng fallback, words a minute (220 ≈ 4.8 Chinese characters a second)"),
))

VOICE = SectionSpec("voice", "音色（可写多个 [voice.名称] 段）", "Voice model (repeat as [voice.NAME])", (
    Option("voice", "enabled", Bool(), True, "是否参与轮换", "take part in the rotation"),
    Option("voice", "gpt_weights", Str(), "",
           "GPT 模型路径（服务器上的路径，留空=不切换）", "GPT weights path on the server (empty = keep current)"),
    Option("voice", "sovits_weights", Str(), "",
           "SoVITS 模型路径（服务器上的路径，留空=不切换）", "SoVITS weights path on the server (empty = keep current)"),
    Option("voice", "ref_audio", Str(), "",
           "参考音频路径（服务器上的路径）", "reference audio path on the server"),
    Option("voice", "prompt_text", Str(), "",
           "参考音频对应的文字", "the words spoken in the reference audio"),
    Option("voice", "prompt_lang", Choice(_GPT_LANGS), "zh",
           "参考音频语言", "language of the reference audio"),
    Option("voice", "text_lang", Choice(_GPT_LANGS), "zh",
           "合成文本语言", "language of the text to speak"),
    Option("voice", "speed", Float(0.5, 2.0), 1.0, "语速倍率", "speed factor"),
    Option("voice", "top_k", Int(1, 100), 15, "采样 top_k", "sampling top_k"),
    Option("voice", "top_p", Float(0.01, 1), 1.0, "采样 top_p", "sampling top_p"),
    Option("voice", "temperature", Float(0.01, 2), 1.0, "采样温度", "sampling temperature"),
), pattern=True)

AUDIO = SectionSpec("audio", "播放输出", "Audio output", (
    Option("audio", "backend", Choice(("pygame", "wav", "null", "sounddevice")), "pygame",
           "输出方式：pygame=声卡，wav=录到文件，null=不出声", "output: pygame = sound card, wav = record to a "
           "file, null = silent", applies=AT_START),
    Option("audio", "wav_path", PathValue(non_empty=True), "data/logs/played.wav",
           "wav 输出时的文件路径", "file written by the wav output", applies=AT_START),
    Option("audio", "sample_rate", IntChoice((16000, 22050, 24000, 32000, 44100, 48000)), 32000,
           "输出采样率（所有音频先转成此采样率）", "output sample rate; all audio is resampled to it", applies=AT_START),
    Option("audio", "chunk_bytes", Int(256, 65536), 4096,
           "每次写入的字节数，块越小打断越快", "bytes per write; smaller chunks interrupt sooner", applies=AT_START),
    Option("audio", "gap_ms", Int(0, 5000), 150,
           "两段语音之间的停顿（毫秒）", "pause between two utterances, ms"),
    Option("audio", "lookahead_s", Float(1, 600), 20.0,
           "提前准备好的话术秒数，防止冷场", "seconds of script kept synthesised ahead, against dead air"),
    Option("audio", "progress_hz", Float(4, 60), 5.0,
           "播放进度事件频率（每秒）", "playback progress events per second", applies=AT_START),
    Option("audio", "bridge_lines", Bool(), True,
           "被打断的话术恢复前先说一句过渡语", "say a bridge line before an interrupted script resumes"),
    Option("audio", "device", Str(max_len=300), "",
           "直播输出设备（如虚拟声卡的输入端），留空=系统默认；在设置页的下拉框里选择，或用命令行的列出设备命令"
           "查看名称；设备断开时自动改用默认设备，恢复后切回",
           "playback device for the stream (e.g. a virtual cable), empty = system default; "
           "`main.py audio-devices` lists the names; a lost device falls back to the default and comes back"),
    Option("audio", "monitor", Bool(), False,
           "同时在监听设备（主播耳机）上播放同样的声音", "also play the same mix on a monitor device (headphones)"),
    Option("audio", "monitor_device", Str(max_len=300), "",
           "监听设备名称，留空=系统默认；监听出错不影响直播输出",
           "monitor device, empty = system default; a failing monitor never affects the stream"),
    Option("audio", "monitor_volume", Int(0, 100), 80,
           "监听音量（%），只影响耳机，不影响直播", "monitor volume in %, headphones only"),
))

MUSIC = SectionSpec("music", "背景音乐", "Background music", (
    Option("music", "enabled", Bool(), False,
           "播放背景音乐（说话时自动压低，冷场时也有音乐）", "play background music (ducked under the voice, "
           "filling silences)"),
    Option("music", "folder", PathValue(non_empty=True), "data/music",
           "音乐文件夹（mp3、wav、ogg、flac，含子文件夹）；请使用有版权授权的音乐",
           "folder of tracks (mp3, wav, ogg, flac, sub-folders too); use music you are licensed to play"),
    Option("music", "order", Choice(("in_order", "shuffle")), "in_order",
           "播放顺序：in_order=按文件名顺序，shuffle=每轮随机；播完一轮从头循环",
           "order: by file name, or shuffled each round; loops"),
    Option("music", "volume_db", Float(-40, 0), -14.0,
           "音乐比人声轻多少分贝（负数；每首歌先自动统一响度）", "music loudness relative to the voice, dB "
           "(negative; tracks are loudness-matched first)"),
    Option("music", "duck_db", Float(0, 40), 12.0,
           "说话时音乐再压低多少分贝", "how many dB the music ducks under speech"),
    Option("music", "duck_attack_ms", Int(5, 2000), 80,
           "压低音乐所用的毫秒数（说话前就开始）", "ms for the music to duck (starts before the first word)"),
    Option("music", "duck_release_ms", Int(20, 10_000), 600,
           "说完话后音乐恢复所用的毫秒数", "ms for the music to come back up after speech"),
))

SECTIONS = (DOUYIN, BUS, LLM, TTS, VOICE, AUDIO, MUSIC)
