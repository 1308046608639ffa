"""Options of what happens in the room: priorities (design §5), reply policy, compliance,
the script loop, the window and the store."""

from __future__ import annotations

from app.config.schema import AT_RESTART, AT_START, Option, SectionSpec
from app.config.types import Bool, Choice, Float, Int, ListOf, PathValue, Str

_POLICY = Choice(("replace", "drop_sentence", "block"))
_SLUG = Str(pattern=r"[A-Za-z0-9_\-]+", pattern_text="a name of letters, digits, _ or -")

PRIORITY = SectionSpec("priority", "优先级与打断", "Priority and interruption (design §5)", (
    Option("priority", "large_gift_diamonds", Int(1, 10_000_000), 100,
           "礼物总价值（钻）达到多少算大礼物，最高优先", "gift value in diamonds from which a gift is large "
           "(GIFT_LARGE)"),
    Option("priority", "vip_user_level", Int(0, 100), 30,
           "用户等级达到多少算 VIP 评论", "user level from which a comment counts as VIP"),
    Option("priority", "interrupt_gap", Int(1, 30), 5,
           "新内容比当前高出多少级才打断", "priority gap needed to interrupt the current item"),
    Option("priority", "late_interrupt_gap", Int(1, 30), 8,
           "当前内容快播完时打断所需的级差", "gap needed when the current item is nearly finished"),
    Option("priority", "late_fraction", Float(0.5, 0.99), 0.85,
           "播放超过此比例算“快播完”", "share played after which an item counts as nearly finished"),
    Option("priority", "level_bonus_divisor", Int(1, 1000), 10,
           "用户等级加成：等级 ÷ 此数", "user level bonus = level // this"),
    Option("priority", "level_bonus_max", Int(0, 10), 3,
           "用户等级加成上限", "cap of the user level bonus"),
    Option("priority", "activity_bonus_divisor", Int(1, 100_000), 100,
           "活跃度加成：活跃度 ÷ 此数", "activity bonus = activity // this"),
    Option("priority", "activity_bonus_max", Int(0, 10), 2,
           "活跃度加成上限", "cap of the activity bonus"),
    Option("priority", "aging_seconds_per_step", Float(1, 3600), 30.0,
           "排队每等待多少秒优先级提升一级", "seconds of waiting per one step of priority gained"),
))

REPLY = SectionSpec("reply", "互动回复", "Replies to the room", (
    # gifts
    Option("reply", "gift_thanks", Bool(), True, "感谢礼物", "thank gifts"),
    Option("reply", "gift_window_s", Float(0.2, 60), 1.5,
           "连击礼物静默多少秒算结束，然后合并感谢", "a gift combo ends after this much quiet and is thanked "
           "as one"),
    Option("reply", "gift_max_wait_s", Float(0.5, 120), 6.0,
           "连击中的礼物最迟多少秒内感谢", "a running combo is thanked by this many seconds at the latest"),
    Option("reply", "gift_thanks_per_minute", Int(0, 600), 12,
           "每分钟最多几句礼物感谢（超出的合并到下一句，0=只按感谢时长上限）", "most gift thank-you lines a minute; "
           "more givers join the next line (0 = only the thanks airtime budget)"),
    Option("reply", "gift_pool_window_s", Float(0, 600), 3.0,
           "小礼物结束后再等多少秒，把这段时间的礼物合成一句感谢", "finished small gifts gather this many seconds "
           "into one thank-you line"),
    Option("reply", "large_gift_window_s", Float(0.2, 10), 1.0,
           "大礼物连击静默多少秒算结束并立即感谢", "a large gift's combo ends after this much quiet and is "
           "thanked at once"),
    Option("reply", "guest_gift_thanks", Choice(("name", "off")), "name",
           "送给连麦嘉宾的礼物：name=感谢时说出收礼人，off=不感谢", "gifts to a 连麦 guest: name the receiver, "
           "or off"),
    # welcomes
    Option("reply", "welcome", Bool(), True, "欢迎进场观众", "welcome viewers who enter"),
    Option("reply", "welcome_batch_window_s", Float(0.5, 120), 3.0,
           "欢迎语合并等待秒数", "seconds entries are collected into one welcome"),
    Option("reply", "welcome_max_names", Int(1, 20), 3,
           "一句欢迎语最多念几个名字", "most names read in one welcome"),
    Option("reply", "welcome_min_interval_s", Float(0, 600), 45.0,
           "两次欢迎语的最短间隔秒数（其间进场的观众合在下一句里欢迎）", "shortest time between two welcomes, seconds (newcomers meanwhile are welcomed together in the next)"),
    Option("reply", "welcome_repeat_after_s", Float(0, 86_400), 600.0,
           "同一观众多久后才再次欢迎", "a viewer is welcomed again only after this many seconds"),
    # follows
    Option("reply", "follow_thanks", Bool(), True, "感谢关注", "thank new followers"),
    Option("reply", "follow_window_s", Float(0.2, 120), 2.0,
           "关注感谢合并等待秒数", "seconds follows are collected into one thanks"),
    Option("reply", "follow_max_names", Int(1, 20), 3,
           "一句关注感谢最多念几个名字", "most names read in one follow thanks"),
    Option("reply", "follow_min_interval_s", Float(0, 600), 8.0,
           "两次关注感谢的最短间隔秒数", "shortest time between two follow thanks, seconds"),
    # likes, shares, fans club
    Option("reply", "like_milestones", ListOf(Int(1, 1_000_000_000), increasing=True),
           (1000, 5000, 10000, 50000, 100000),
           "点赞里程碑（总数达到时感谢）", "like totals that get a thank-you"),
    Option("reply", "like_milestone_every", Int(0, 100_000_000), 0,
           "超过最后一个里程碑后每多少赞再感谢一次（0=不再）", "past the last milestone, thank again every N "
           "likes (0 = off)"),
    Option("reply", "share_thanks", Bool(), False, "感谢分享", "thank shares"),
    Option("reply", "fansclub_thanks", Bool(), True, "感谢加入粉丝团", "thank viewers who join the fans club"),
    Option("reply", "thanks_min_interval_s", Float(0, 600), 20.0,
           "两次分享（或粉丝团）感谢的最短间隔秒数", "shortest time between two share / fans-club thanks, seconds"),
    # comments
    Option("reply", "answer_comments", Bool(), True, "回答评论里的问题", "answer questions in comments"),
    Option("reply", "answer_admins", Bool(), False,
           "也回答房管的评论（主播自己的评论从不回答）", "answer the room admins' comments too (the anchor's "
           "own: never)"),
    Option("reply", "user_cooldown_s", Float(0, 3600), 30.0,
           "同一观众两次回复的最短间隔秒数", "shortest time between two replies to one viewer, seconds"),
    Option("reply", "duplicate_window_s", Float(0, 3600), 60.0,
           "多少秒内的重复评论只回复一次", "identical comments within this many seconds get one reply"),
    Option("reply", "replies_per_minute", Int(0, 600), 6,
           "每分钟最多回答评论条数（关键词和大模型合计，0=不限）", "most comment answers per minute, rules and "
           "LLM together (0 = no limit)"),
    Option("reply", "question_words", ListOf(Str(non_empty=True)),
           ("多少", "怎么", "什么", "几", "哪", "能不能", "有没有", "是不是", "可不可以", "会不会", "要不要",
            "咋", "为啥", "为什么", "多大", "多久", "多长", "多重", "吗"),
           "包含这些词的评论视为提问", "a comment containing one of these words is a question"),
    Option("reply", "question_endings", ListOf(Str(non_empty=True)), ("吗", "么", "呢"),
           "以这些字结尾的评论视为提问", "a comment ending with one of these is a question"),
    Option("reply", "fallback_nickname", Str(non_empty=True, max_len=20), "家人",
           "昵称为空或不宜念出时的称呼", "what to call a viewer whose nickname is empty or unspeakable"),
    Option("reply", "max_nickname_chars", Int(1, 50), 12,
           "昵称最多念多少个字，超长昵称只念前面这些字", "longest nickname spoken, in characters; longer ones "
           "are cut"),
    # deadlines
    Option("reply", "stale_gift_s", Float(1, 600), 60.0,
           "礼物感谢多少秒没播出就作废", "seconds after which an unplayed gift thanks is dropped"),
    Option("reply", "stale_welcome_s", Float(1, 600), 15.0,
           "欢迎语过期秒数", "seconds after which an unplayed welcome is dropped"),
    Option("reply", "stale_follow_s", Float(1, 600), 30.0,
           "关注感谢过期秒数", "seconds after which an unplayed follow thanks is dropped"),
    Option("reply", "stale_like_s", Float(1, 600), 30.0,
           "点赞感谢过期秒数", "seconds after which an unplayed like thanks is dropped"),
    Option("reply", "stale_reply_s", Float(1, 600), 30.0,
           "关键词回答过期秒数", "seconds after which an unplayed keyword answer is dropped"),
    Option("reply", "stale_llm_s", Float(1, 600), 45.0,
           "大模型回答过期秒数（从提问到播出）", "seconds from question to spoken LLM answer before it is dropped"),
))

COMPLIANCE = SectionSpec("compliance", "合规过滤（广告法）", "Compliance filter (advertising law)", (
    Option("compliance", "lists_dir", PathValue(non_empty=True), "data/compliance",
           "违禁词表目录", "folder of the word lists"),
    Option("compliance", "policy_absolute", _POLICY, "replace",
           "极限词（最、顶级…）的处理：replace=替换，drop_sentence=删句，block=整段不播",
           "absolute words: replace | drop_sentence | block the utterance"),
    Option("compliance", "policy_first_only", _POLICY, "replace",
           "“第一、唯一”类词的处理", "'first/only' words"),
    Option("compliance", "policy_authority", _POLICY, "drop_sentence",
           "“国家级、特供”类词的处理", "authority / national-level words"),
    Option("compliance", "policy_efficacy", _POLICY, "drop_sentence",
           "医疗功效用语的处理", "medical / efficacy claims"),
    Option("compliance", "policy_urgency", _POLICY, "replace",
           "“万人疯抢、错过再等一年”类词的处理", "pressure-selling words"),
    Option("compliance", "policy_platform", _POLICY, "block",
           "平台禁用词的处理", "platform-banned words"),
    Option("compliance", "policy_profanity", _POLICY, "block",
           "脏话的处理", "profanity"),
    Option("compliance", "mask_nicknames", Bool(), True,
           "念昵称前屏蔽其中的违禁词", "mask banned words in nicknames before reading them"),
    Option("compliance", "ai_label_text", Str(max_len=60), "本直播间部分内容由AI生成",
           "AI 生成内容标识：口播提示、看板显示和保存的录音文件元数据里都用这句（《人工智能生成合成内容标识办法》"
           "要求对合成声音作显式和隐式标识）；留空=不标识", "the AI-generated-content label: spoken, shown on the "
           "dashboard and written into saved recordings' metadata; empty = no label"),
    Option("compliance", "ai_disclosure", Bool(), True,
           "开播时和每隔一段时间口播 AI 生成内容提示", "say the AI-content label at 开播 and at intervals"),
    Option("compliance", "ai_disclosure_every_min", Float(1, 240), 10.0,
           "口播 AI 提示的间隔分钟数", "minutes between two spoken AI-content labels"),
))

DIRECTOR = SectionSpec("director", "直播节奏（讲解、回答、感谢的分配）", "The director: the shape of the air", (
    Option("director", "script_max_gap_s", Float(10, 600), 40.0,
           "最多多少秒不讲商品话术（有话术可讲时）", "longest time without script speech while there is "
           "script to say, seconds"),
    Option("director", "script_share_floor", Float(0, 1), 0.5,
           "商品话术至少占说话时间的比例", "the script's share of spoken time, at least"),
    Option("director", "share_window_s", Float(60, 3600), 300.0,
           "计算占比时看最近多少秒", "shares are measured over this many recent seconds"),
    Option("director", "break_wait_s", Float(0, 60), 8.0,
           "感谢最多等多少秒，等一段话术讲完再插入", "a thank-you waits up to this long for the end of a "
           "script segment, seconds"),
    Option("director", "thanks_share_max", Float(0, 1), 0.15,
           "感谢（礼物、欢迎、关注、点赞）合计最多占多少时间（1=不限）", "thanks together: at most this share of "
           "the air (1 = no limit)"),
    Option("director", "answer_share_max", Float(0, 1), 0.3,
           "回答观众提问最多占多少时间，超出的提问记录原因后不回答（1=不限）", "answers to questions: at most this "
           "share of the air; beyond it a question is left with the reason (1 = no limit)"),
    Option("director", "answer_wait_max_s", Float(0, 120), 3.0,
           "新的回答最多排在其他回答后面等多少秒，等不及的提问记录原因后不回答", "a new answer may wait at most "
           "this long behind answers already queued; beyond it the question is left with the reason"),
    Option("director", "faq_readings", Int(0, 5), 2,
           "当前商品每条常见问题提前合成几种说法", "readings of each FAQ answer of the product on air "
           "synthesised ahead"),
    Option("director", "llm_answer_estimate_s", Float(1, 60), 8.0,
           "大模型回答预计时长（秒，用于时长上限）", "airtime booked for an LLM answer before its length is "
           "known, seconds"),
    Option("director", "product_dwell_passes", Int(1, 100), 1,
           "每个商品讲几遍全部话术段再换下一个", "readings of all of a product's segments before the next "
           "product"),
    Option("director", "product_dwell_minutes", Float(0, 600), 0.0,
           "每个商品至少讲多少分钟再换（0=按遍数）", "minutes on a product before the next (0 = by readings)"),
))

SCRIPT = SectionSpec("script", "话术循环", "Script loop", (
    Option("script", "order", Choice(("in_order", "shuffle")), "in_order",
           "商品顺序：in_order=按顺序，shuffle=每轮打乱", "product order: in_order, or shuffle each round"),
    Option("script", "products_dir", PathValue(non_empty=True), "data/products",
           "商品库目录", "folder of the product library", applies=AT_RESTART),
    Option("script", "templates_dir", PathValue(non_empty=True), "data/templates",
           "互动模板目录", "folder of the reaction templates", applies=AT_RESTART),
))

UI = SectionSpec("ui", "界面", "Window", (
    Option("ui", "dashboard_refresh_hz", Float(1, 30), 10.0,
           "看板刷新频率（每秒）", "dashboard updates per second"),
    Option("ui", "events_feed_max", Int(100, 100_000), 2000,
           "事件列表保留条数", "rows kept in the recent-events list", applies=AT_RESTART),
))

STORE = SectionSpec("store", "数据存储", "Storage", (
    Option("store", "db_path", PathValue(non_empty=True), "data/live.sqlite3",
           "数据库文件（播出记录、事件、统计）", "database file (spoken log, events, stats)", applies=AT_START),
    Option("store", "event_retention_days", Float(0.1, 3650), 7.0,
           "直播事件保留天数", "days live events are kept", applies=AT_START),
    Option("store", "max_events", Int(1000, 100_000_000), 200_000,
           "直播事件最多保留条数", "most live events kept", applies=AT_START),
))

SECTIONS = (PRIORITY, DIRECTOR, REPLY, COMPLIANCE, SCRIPT, UI, STORE)
