"""The reply policy's options: one frozen dataclass, checked on construction.

The runtime maps ``config.ini`` ``[reply]``, ``[director]`` and ``[priority]`` options onto these
fields; a field has its option's name (``llm_enabled`` is ``[reply] answer_comments`` and an LLM
configured). Every duration is in seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

#: Words that make a comment a question (design §1: questions go to the LLM). Matching is on
#: the normalised text (NFKC, case-folded), see app.reply.text.
DEFAULT_QUESTION_WORDS: tuple[str, ...] = (
    "多少", "怎么", "什么", "几", "哪", "能不能", "有没有", "是不是", "可不可以", "会不会",
    "要不要", "咋", "为啥", "为什么", "多大", "多久", "多长", "多重", "吗",
)

#: Sentence-final particles that make a question on their own ("有优惠么").
DEFAULT_QUESTION_ENDINGS: tuple[str, ...] = ("吗", "么", "呢")


class SettingsError(ValueError):
    """An option value the reply policy cannot work with; the text names the option."""


@dataclass(frozen=True, kw_only=True)
class ReplySettings:
    # ---- gifts ([reply]) -------------------------------------------------------------------
    gift_thanks: bool = True  # thank gifts at all
    gift_window_s: float = 1.5  # a combo closes after this much quiet
    large_gift_window_s: float = 1.0  # a large gift's combo closes sooner: its thanks start at once
    gift_max_wait_s: float = 6.0  # a running combo is thanked by then
    gift_thanks_per_minute: int = 12  # at most this many gift thank-you lines a minute (0 = budget only)
    gift_pool_window_s: float = 3.0  # finished small gifts gather this long into one line
    guest_gift_thanks: str = "name"  # a gift to a 连麦 guest: "name" the receiver, or "off"
    # ---- welcomes ([reply]) ----------------------------------------------------------------
    welcome: bool = True
    welcome_batch_window_s: float = 3.0  # entries collected this long before one welcome
    welcome_max_names: int = 3  # names spoken per welcome (the newest are kept)
    welcome_min_interval_s: float = 45.0  # at least this long between two welcomes (newcomers meanwhile are pooled)
    welcome_repeat_after_s: float = 600.0  # a viewer is welcomed again only after this
    # ---- follows ([reply]) -----------------------------------------------------------------
    follow_thanks: bool = True
    follow_window_s: float = 2.0
    follow_max_names: int = 3
    follow_min_interval_s: float = 8.0
    # ---- likes, shares, fans club ([reply]) ------------------------------------------------
    like_milestones: tuple[int, ...] = (1000, 5000, 10000, 50000, 100000)
    like_milestone_every: int = 0  # past the last milestone, one more every N likes (0 = off)
    share_thanks: bool = False
    fansclub_thanks: bool = True
    thanks_min_interval_s: float = 20.0  # between two share / two fans-club thanks
    # ---- airtime budgets ([director]) ------------------------------------------------------
    thanks_share_max: float = 0.15  # thanks together: at most this share of the air
    answer_share_max: float = 0.30  # answers to questions: at most this share of the air
    answer_wait_max_s: float = 3.0  # a new answer may wait at most this long behind queued answers
    llm_answer_estimate_s: float = 8.0  # airtime booked for an LLM answer before its length is known
    faq_readings: int = 2  # FAQ answer readings rendered and synthesised ahead per rule
    # ---- comments ([reply]) ----------------------------------------------------------------
    answer_admins: bool = False  # answer the room admins' comments too (the anchor's: never)
    duplicate_window_s: float = 60.0  # the same (normalised) comment is answered once per this
    user_cooldown_s: float = 30.0  # one answered comment per viewer per this
    replies_per_minute: int = 6  # comment replies (rules + LLM jobs); 0 = no limit
    llm_enabled: bool = False  # questions with no rule go to the LLM; else ignored
    question_words: tuple[str, ...] = DEFAULT_QUESTION_WORDS
    question_endings: tuple[str, ...] = DEFAULT_QUESTION_ENDINGS
    fallback_nickname: str = "家人"  # spoken when a nickname is empty or cannot be spoken
    max_nickname_chars: int = 12  # longer nicknames are cut (issue 18.3)
    # ---- deadlines: how long a reply may wait before it is stale ([reply]) -------------------
    stale_gift_s: float = 60.0
    stale_welcome_s: float = 15.0
    stale_follow_s: float = 30.0
    stale_like_s: float = 30.0
    stale_reply_s: float = 30.0  # keyword-rule answers
    stale_llm_s: float = 45.0  # ReplyJob deadline (question to spoken answer)
    # ---- dynamic priority ([priority], design §5) ------------------------------------------
    large_gift_diamonds: int = 100  # count × diamonds at or above this → GIFT_LARGE
    level_bonus_divisor: int = 10  # level bonus = min(level // level_bonus_divisor, level_bonus_max)
    level_bonus_max: int = 3
    activity_bonus_divisor: int = 100  # activity bonus = min(events // activity_bonus_divisor, max)
    activity_bonus_max: int = 2
    vip_user_level: int = 30  # comments from viewers at or above this level → USER_VIP

    def __post_init__(self):
        problems = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type in ("float", "int") and (isinstance(value, bool) or not isinstance(value, (int, float))):
                problems.append(f"{f.name}: expected a number, got {value!r}")
            elif f.type in ("float", "int") and value < 0:
                problems.append(f"{f.name}: must not be negative, got {value!r}")
            elif f.type == "bool" and not isinstance(value, bool):
                problems.append(f"{f.name}: expected true/false, got {value!r}")
        for name in ("level_bonus_divisor", "activity_bonus_divisor", "welcome_max_names", "follow_max_names",
                     "max_nickname_chars"):
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool) and value < 1:
                problems.append(f"{name}: must be at least 1, got {value!r}")
        ms = self.like_milestones
        if not isinstance(ms, tuple) or any(isinstance(m, bool) or not isinstance(m, int) or m <= 0 for m in ms):
            problems.append(f"like_milestones: expected positive whole numbers, got {ms!r}")
        elif list(ms) != sorted(set(ms)):
            problems.append(f"like_milestones: must be increasing without repeats, got {ms!r}")
        for name in ("question_words", "question_endings"):
            words = getattr(self, name)
            if not isinstance(words, tuple) or any(not isinstance(w, str) or not w.strip() for w in words):
                problems.append(f"{name}: expected non-empty words, got {words!r}")
        if not isinstance(self.fallback_nickname, str) or not self.fallback_nickname.strip():
            problems.append("fallback_nickname: must not be empty")
        if self.guest_gift_thanks not in ("name", "off"):
            problems.append(f"guest_gift_thanks: must be 'name' or 'off', got {self.guest_gift_thanks!r}")
        for name in ("thanks_share_max", "answer_share_max"):
            if isinstance(getattr(self, name), (int, float)) and getattr(self, name) > 1:
                problems.append(f"{name}: a share of the air, at most 1, got {getattr(self, name)!r}")
        if problems:
            raise SettingsError("reply settings: " + "; ".join(problems))

    def stale_after(self, kind: str) -> float:
        """Seconds a reply of ``kind`` may wait before it is stale."""
        return {
            "gift": self.stale_gift_s, "welcome": self.stale_welcome_s, "follow": self.stale_follow_s,
            "like": self.stale_like_s, "reply": self.stale_reply_s, "llm": self.stale_llm_s,
            "share": self.stale_follow_s, "fansclub": self.stale_follow_s,
        }[kind]
