"""The spoken form of a text: what GPT-SoVITS (and espeak-ng) should actually read, and
whether there is anything in it a voice can say.

GPT-SoVITS reads Arabic numerals, emoji, full-width letters and many symbols badly or not at
all, so everything is turned into plain Chinese words first. ``cn2an`` does the bulk of the
number reading; the cases it gets wrong for a sales stream (phone numbers, codes with leading
zeros, times, ranges with ``~``, thousands separators, units in Latin letters, prices with
trailing zeros) are rewritten before it runs.

Producers turn their text into spoken sentences once (``app.text.prepare``); TTS measures its
audio against ``speakable_length``. Here, not in app/tts, because a stage must not import
another stage.
"""

from __future__ import annotations

import re
import unicodedata
import warnings

# cn2an warns (warnings.warn) on every number it cannot fully convert; those are expected here
warnings.filterwarnings("ignore", module=r"cn2an(\.|$)")

_DIGITS = "零一二三四五六七八九"

# Full-width ASCII (U+FF01..U+FF5E) to half width, except Chinese punctuation the splitter and
# the model use as pauses; those stay as they are.
_KEEP_FULLWIDTH = set("，！？；：（）")
_FW_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP_FULLWIDTH}
_FW_TABLE[0x3000] = 0x20  # ideographic space

_UNITS = [  # longest first; Latin unit after a number → how it is said
    ("kg", "公斤"), ("km", "公里"), ("cm", "厘米"), ("mm", "毫米"), ("ml", "毫升"), ("mL", "毫升"),
    ("mg", "毫克"), ("g", "克"), ("m", "米"), ("L", "升"), ("l", "升"), ("W", "瓦"), ("V", "伏"),
    ("mAh", "毫安时"), ("GB", "G"), ("℃", "摄氏度"), ("°C", "摄氏度"), ("°", "度"),
]
_UNIT_RE = re.compile(r"(?<=\d)\s*(" + "|".join(re.escape(u) for u, _ in
                                                 sorted(_UNITS, key=lambda p: -len(p[0]))) + r")(?![A-Za-z])")
_UNIT_MAP = dict(_UNITS)

_SYMBOL_WORDS = {"&": "和", "+": "加", "＋": "加", "=": "等于", "@": " ", "#": " ", "*": " ", "~": "，",
                 "～": "，", "|": "，", "/": "，", "\\": "，", "_": " ", "^": " ", "`": " "}


def normalize(text: str) -> str:
    """Speakable Chinese text: widths unified, emoji and decorative symbols removed, numbers,
    prices, percentages, times, ranges and units spelled out the Chinese way."""
    text = text.translate(_FW_TABLE)
    text = _strip_symbols(text)
    text = _numbers(text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\s*([，。！？；：、,.!?;:])\s*", r"\1", text)
    text = re.sub(r"([，,])[，,]+", r"\1", text)
    return text.strip(" ，,")


def _strip_symbols(text: str) -> str:
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "%‰℃°¥￥$€£.:,-×x":
            out.append(ch)
        elif cat in ("So", "Sk", "Sm", "Cs", "Co", "Cn") and ch not in "+=＋~～|" or ch in "\u200d\ufe0f\ufe0e\u20e3":
            continue  # emoji, dingbats, ★ ❤ → : the model mumbles or stops on them
        elif cat == "Cc" and ch not in "\n\t":
            continue
        else:
            out.append(ch)
    return "".join(out)


def _read_digits(digits: str) -> str:
    """Digit by digit, as Chinese reads phone numbers and codes (1 → 幺 only in phone numbers)."""
    return "".join(_DIGITS[int(d)] for d in digits)


def _phone(m: re.Match) -> str:
    return "".join("幺" if d == "1" else _DIGITS[int(d)] for d in re.sub(r"\D", "", m.group(0)))


def _numbers(text: str) -> str:
    # currency signs before the number → 元/美元 after it
    text = re.sub(r"[¥￥]\s*(\d[\d,]*(?:\.\d+)?)", r"\1元", text)
    text = re.sub(r"\$\s*(\d[\d,]*(?:\.\d+)?)", r"\1美元", text)
    text = re.sub(r"€\s*(\d[\d,]*(?:\.\d+)?)", r"\1欧元", text)
    # thousands separators: 1,299 → 1299 (a comma between digit groups is not a pause)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    # phone numbers: 11-digit mobiles (optionally 3-4-4 grouped) and 400/800 lines
    text = re.sub(r"(?<!\d)1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)", _phone, text)
    text = re.sub(r"(?<!\d)[48]00[- ]?\d{3}[- ]?\d{4}(?!\d)", _phone, text)
    # clock times 12:30 → 十二点半, 8:05 → 八点零五分
    text = re.sub(r"(?<!\d)([01]?\d|2[0-3])[:：]([0-5]\d)(?!\d)", _clock, text)
    # codes: long digit runs or runs with a leading zero are read digit by digit
    text = re.sub(r"(?<![\d.])(0\d+|\d{7,})(?![\d.]|\s*[元块万亿%])", lambda m: _read_digits(m.group(1)), text)
    # prices: trailing zeros of a decimal are not read (2.50元 → 2.5元, 9.00元 → 9元)
    text = re.sub(r"(\d+)\.(\d*?)0+(?=\s*[元块])", lambda m: m.group(1) + ("." + m.group(2) if m.group(2) else ""), text)
    # ranges: 10~20, 3-5, 20%-30%, 3至5 → 到 (a leading minus stays a minus)
    text = re.sub(r"(?<=[\d%])\s*[-~～—–至]\s*(?=\d)", "到", text)
    # multiplication sign between numbers (30cm×20cm, 3x4)
    text = re.sub(r"(?<=[\dA-Za-z])\s*[×xX*]\s*(?=\d)", "乘", text)
    text = _UNIT_RE.sub(lambda m: _UNIT_MAP[m.group(1)], text)
    text = re.sub(r"(\d+(?:\.\d+)?)‰", lambda m: "千分之" + m.group(1), text)
    text = _cn2an(text)
    # what is left over: remaining digits one by one, symbols as words or pauses
    text = re.sub(r"\d", lambda m: _DIGITS[int(m.group(0))], text)
    return "".join(_SYMBOL_WORDS.get(ch, ch) for ch in text)


def _clock(m: re.Match) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    said = _cn2an(str(hour)) + "点"
    if minute == 30:
        return said + "半"
    if minute:
        said += ("零" + _DIGITS[minute] if minute < 10 else _cn2an(str(minute))) + "分"
    return said


def _cn2an(text: str) -> str:
    import cn2an

    try:
        return cn2an.transform(text, "an2cn")
    except Exception:  # cn2an rejects some odd inputs; fall back to digit-by-digit below
        return text


def speakable_length(text: str) -> int:
    """How many syllable-ish units the text has: CJK characters count one each, a run of Latin
    letters counts one per two letters (roughly a syllable); punctuation counts nothing."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")
    latin = sum((len(w) + 1) // 2 for w in re.findall(r"[A-Za-z]+", text))
    return cjk + latin


def speakable(said: str) -> bool:
    """Whether a spoken form (``normalize``d text) has anything a voice can say: the one test of
    "nothing to say" (punctuation, emoji, kana or Hangul alone are not; TTS would reject them)."""
    return speakable_length(said) > 0
