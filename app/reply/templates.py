"""Built-in reaction lines, used when no template renderer is injected or a template is
missing or broken (the stream goes on with a plain line rather than saying nothing).

Names and variables match app.content.templates (data/templates/<name>.txt): ``nickname``,
``names`` (joined with "、"), ``gift``, ``count``, ``total``, ``likes``, ``product``.
"""

from __future__ import annotations

import string
from collections.abc import Callable

from app.logs import get_logger

log = get_logger("reply")

Render = Callable[..., str]

BUILTIN: dict[str, str] = {
    "gift_thanks": "感谢${nickname}送的${count}个${gift}",
    "gift_thanks_many": "感谢${names}等${count}位家人送的礼物",
    "welcome": "欢迎${names}来到直播间",
    "follow_thanks": "感谢${names}的关注",
    "like_milestone": "感谢大家的点赞，点赞已经突破${likes}啦",
    "share_thanks": "感谢${nickname}的分享",
    "fansclub_thanks": "欢迎${nickname}加入粉丝团",
    "fansclub_upgrade": "恭喜${nickname}的粉丝团升到${level}级",
    "gift_thanks_guest": "感谢${nickname}送给${receiver}的${count}个${gift}",
}


def builtin_render(name: str, **values: object) -> str:
    return string.Template(BUILTIN[name]).safe_substitute({k: str(v) for k, v in values.items()})


class SafeRenderer:
    """Calls the injected renderer; on a failure logs it once per template and falls back to
    the built-in line, counting how often that happened."""

    def __init__(self, render: Render | None):
        self.render_fn = render
        self.fallbacks = 0
        self._warned: set[str] = set()

    def __call__(self, name: str, **values: object) -> str:
        if self.render_fn is not None:
            try:
                text = self.render_fn(name, **values)
                if isinstance(text, str):
                    return text
                raise TypeError(f"renderer returned {type(text).__name__}, not text")
            except Exception as exc:  # a broken operator template must not silence thanks
                self.fallbacks += 1
                if name not in self._warned:
                    self._warned.add(name)
                    log.warning("template %r failed (%s); using the built-in line", name, exc)
        return builtin_render(name, **values)
