"""Writes the room benchmark's recordings ``tests/data/rooms/*.feed`` (deterministic, seeded).

    python -m tests.standins.make_room_feeds [--out DIR] [--only quiet,sale,storm]

Three rooms that differ from the bundled demo recording (``data/demo/room.feed``), all selling
the demo products (面霜, 坚果礼盒, T恤), in dy-barrage-grab v2.7.9 frames from the byte-exact
builder ``tests.standins.dybarrage``:

- ``quiet``: a quiet room — about twenty people online, an occasional question (every 35–55 s), a few entries, likes and follows, one small gift.
- ``sale``: a normal sale room — a steady stream of questions (every 4–9 s) among chatter,
  entries every few seconds, likes, a small gift now and then, a rocket and a sports car.
- ``storm``: a gift storm — about one small gift per second (single gifts and combos), four
  large gifts (rocket, carnival, sports car, and a lollipop combo that crosses the large-gift
  line while it runs), questions every 8–14 s.

Questions mix ones that hit the products' FAQ keywords (price, shipping, after-sales, which
every product answers, and product-specific ones: size, skin type, shelf life, fabric …) with
ones no FAQ rule answers (花呗, 主播多高 …). Whether a question is a keyword FAQ question is
decided by the benchmark at run time, against the product on air when it arrives.

The recordings are committed so that the benchmark before and after a change replays exactly
the same frames; a unit test checks they are what this generator writes.
Format: see app/live/recording.py (``<offset>\\t<frame>`` per line).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path

from app.live.recording import format_line
from tests.standins.dybarrage import Room, Viewer
from tests.standins.make_demo_feed import CHATTER, NICKS

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "tests" / "data" / "rooms"

# Questions every demo product answers by keyword (price, shipping, after-sales).
ASK_ANY = [
    "多少钱呀", "现在什么价格", "有优惠吗", "几块钱一个", "多钱啊主播", "包邮吗", "什么时候发货",
    "发什么快递", "售后怎么样", "今天下单几天到",
]
# Questions only one product's FAQ answers: they count when that product is on air.
ASK_ONE = [
    "这瓶多少克", "敏感肌能用吗", "孕妇可以用吗", "有酒精吗",  # face cream
    "一盒几袋", "保质期多久", "配料有哪些", "过敏的能吃吗",  # snack
    "尺码偏大吗", "165穿什么码", "面料是纯棉吗", "会起球吗",  # T-shirt
]
# Questions no FAQ rule answers (the demo has no LLM: these go unanswered, by design).
ASK_NONE = ["主播多高呀", "明天还播吗？", "能用花呗吗", "主播是哪里人", "链接在哪里", "还有别的款吗"]

SMALL_GIFTS = [(5655, "小心心", 1), (463, "玫瑰", 1), (4353, "人气票", 1), (3246, "棒棒糖", 9)]
ROCKET, CARNIVAL, SPORTS_CAR = (3389, "火箭", 10001), (3529, "嘉年华", 30000), (3612, "跑车", 1200)
LOLLIPOP = SMALL_GIFTS[3]


class RoomFeed:
    """Frames of one synthesised room, added at offsets, sorted when written."""

    def __init__(self, seed: int, *, room: Room, viewers: int, online: int, likes: int):
        self.rng = random.Random(seed)
        self.room = room
        self.msg_id = 7_440_000_000_000_000_000 + seed * 10**9 + self.rng.randrange(10**8)
        self.lines: list[tuple[float, str]] = []
        names = list(NICKS) + [f"{p}{n}" for n in range(1, 60) for p in ("观众", "宝宝")]
        self.viewers = [Viewer(id=3_000_000 + seed * 1000 + i, nickname=names[i],
                               pay_level=self.rng.choice([0, 0, 3, 8]), level=self.rng.choice([0, 0, 5, 12]),
                               gender=self.rng.choice([1, 2]))
                        for i in range(viewers)]
        self.online, self.total, self.likes = online, online * 40, likes
        self.group = 1_732_000_000_000 + seed

    def next_id(self) -> int:
        self.msg_id += self.rng.randint(3, 9000)
        return self.msg_id

    def add(self, t: float, frame: str) -> None:
        self.lines.append((round(t, 3), frame))

    def viewer(self) -> Viewer:
        return self.rng.choice(self.viewers)

    def stats(self, t: float, drift: int) -> None:
        self.online = max(5, self.online + self.rng.randint(-drift, drift))
        self.total += self.rng.randint(1, 4 * drift)
        self.add(t, self.room.stats(self.next_id(), self.online, self.total))

    def comment(self, t: float, text: str, who: Viewer | None = None) -> None:
        self.add(t, self.room.comment(self.next_id(), who or self.viewer(), text))

    def enter(self, t: float) -> None:
        self.add(t, self.room.enter(self.next_id(), self.viewer(), self.online))

    def like_batch(self, t: float) -> None:
        for k in range(self.rng.randint(1, 3)):
            count = self.rng.randint(1, 20)
            self.likes += count
            self.add(t + k * 0.2, self.room.like(self.next_id(), self.viewer(), count, self.likes))

    def follow(self, t: float) -> None:
        self.add(t, self.room.follow(self.next_id(), self.viewer()))

    def single_gift(self, t: float, gift: tuple[int, str, int], who: Viewer | None = None, count: int = 1) -> None:
        gift_id, name, diamonds = gift  # GroupId 0: not a combo
        self.add(t, self.room.gift(self.next_id(), who or self.viewer(), gift_id=gift_id, name=name,
                                   diamonds=diamonds, increment=count, repeat=count, group_id=0, combo=False))

    def combo(self, t: float, gift: tuple[int, str, int], steps: list[int], who: Viewer | None = None,
              spacing: float = 0.4) -> float:
        """One frame per increment, RepeatCount running, one GroupId; returns when it ends."""
        gift_id, name, diamonds = gift
        who = who or self.viewer()
        self.group += self.rng.randint(1000, 99999)
        repeat = 0
        for k, inc in enumerate(steps):
            repeat += inc
            self.add(t + k * spacing, self.room.gift(self.next_id(), who, gift_id=gift_id, name=name,
                                                     diamonds=diamonds, increment=inc, repeat=repeat,
                                                     group_id=self.group, combo=True))
        return t + (len(steps) - 1) * spacing

    def frames(self) -> list[tuple[float, str]]:
        return sorted(self.lines, key=lambda x: x[0])  # stable: frames of one moment keep their order


class Questions:
    """Draws question texts: a share ``any`` from ASK_ANY, ``one`` from ASK_ONE, the rest from
    ASK_NONE; no text of a list comes again before the list is used up (a room repeats itself,
    but an answer held back as a duplicate is not what these recordings are for)."""

    def __init__(self, rng: random.Random, any: float = 0.5, one: float = 0.3):
        self.rng, self.any, self.one = rng, any, one
        self.left: dict[str, list[str]] = {}

    def pick(self, kind: str) -> str:
        pool = {"any": ASK_ANY, "one": ASK_ONE, "none": ASK_NONE}[kind]
        if not self.left.get(kind):
            self.left[kind] = self.rng.sample(pool, len(pool))
        return self.left[kind].pop()

    def next(self) -> str:
        roll = self.rng.random()
        return self.pick("any" if roll < self.any else "one" if roll < self.any + self.one else "none")


def quiet(seed: int = 101, duration: float = 240.0) -> RoomFeed:
    room = RoomFeed(seed, room=Room(room_id="7440000000000000101", web_room_id="615100000101",
                                    title="小店日常 慢慢聊"), viewers=12, online=18, likes=200)
    rng, asks = room.rng, Questions(room.rng)
    room.stats(0.2, 3)
    room.enter(1.0)
    t, next_q = 2.0, rng.uniform(6, 10)
    while t < duration:
        if t >= next_q:
            room.comment(t, asks.next())
            next_q = t + rng.uniform(35, 55)  # an occasional question
        elif rng.random() < 0.10:
            room.enter(t)
        elif rng.random() < 0.06:
            room.like_batch(t)
        elif rng.random() < 0.04:
            room.comment(t, rng.choice(CHATTER))
        t += 1.0
        if int(t) % 20 == 0:
            room.stats(t, 3)
    room.follow(47.0)
    room.follow(118.0)
    room.single_gift(88.0, SMALL_GIFTS[1])
    return room


def sale(seed: int = 202, duration: float = 180.0) -> RoomFeed:
    room = RoomFeed(seed, room=Room(room_id="7440000000000000202", web_room_id="615100000202",
                                    title="源头好物 工厂价 今天福利多"), viewers=40, online=160, likes=3000)
    rng, asks = room.rng, Questions(room.rng, any=0.6, one=0.3)
    room.stats(0.2, 20)
    for k in range(4):
        room.enter(0.5 + k * 0.6)
    t, next_q, next_stats = 3.0, 5.0, 10.0
    while t < duration:
        if t >= next_stats:
            room.stats(t, 20)
            next_stats += 10.0
        if t >= next_q:
            room.comment(t, asks.next())
            next_q = t + rng.uniform(4, 9)
        roll = rng.random()
        if roll < 0.25:
            room.comment(t + 0.3, rng.choice(CHATTER))
        elif roll < 0.50:
            room.enter(t + 0.5)
        elif roll < 0.65:
            room.like_batch(t + 0.2)
        elif roll < 0.70:
            room.follow(t + 0.4)
        elif roll < 0.74:
            room.single_gift(t + 0.6, rng.choice(SMALL_GIFTS[:3]))
        t += rng.uniform(1.0, 2.5)
    room.combo(62.0, SMALL_GIFTS[0], [1, 1, 2])
    room.comment(57.0, "刚送了火箭 主播看看我")
    room.single_gift(58.0, ROCKET)
    room.single_gift(140.0, SPORTS_CAR)
    return room


def storm(seed: int = 303, duration: float = 150.0) -> RoomFeed:
    room = RoomFeed(seed, room=Room(room_id="7440000000000000303", web_room_id="615100000303",
                                    title="感恩回馈 礼物刷起来"), viewers=60, online=400, likes=20000)
    rng, asks = room.rng, Questions(room.rng)
    room.stats(0.2, 40)
    t, next_q, next_stats, next_gift = 1.0, 6.0, 10.0, 1.5
    while t < duration:
        if t >= next_stats:
            room.stats(t, 40)
            next_stats += 10.0
        if t >= next_q:
            room.comment(t, asks.next())
            next_q = t + rng.uniform(8, 14)
        if t >= next_gift:  # about one small gift per second: singles, now and then a short combo
            if rng.random() < 0.8:
                room.single_gift(t, rng.choice(SMALL_GIFTS[:3]), count=rng.choice([1, 1, 1, 2]))
                next_gift = t + rng.uniform(0.6, 1.4)
            else:
                steps = [1] * rng.randint(2, 4)
                next_gift = room.combo(t, rng.choice(SMALL_GIFTS[:2]), steps) + rng.uniform(0.6, 1.2)
        roll = rng.random()
        if roll < 0.20:
            room.enter(t + 0.3)
        elif roll < 0.35:
            room.like_batch(t + 0.1)
        elif roll < 0.45:
            room.comment(t + 0.7, rng.choice(CHATTER + ["🎁🎁🎁", "礼物刷起来", "感谢大哥"]))
        elif roll < 0.48:
            room.follow(t + 0.5)
        t += 0.5
    room.single_gift(20.0, ROCKET)
    room.single_gift(38.0, SPORTS_CAR)
    room.combo(52.0, LOLLIPOP, [1, 2, 3, 4, 5])  # 15 × 9 = 135 diamonds: large while it runs
    room.single_gift(100.0, CARNIVAL)
    room.single_gift(131.0, ROCKET)
    return room


ROOMS: dict[str, tuple[Callable[[], RoomFeed], str]] = {
    "quiet": (quiet, "quiet room: ~20 online, a question every 35–55 s"),
    "sale": (sale, "normal sale room: steady questions every 4–9 s"),
    "storm": (storm, "gift storm: ~1 small gift/s, 4 large gifts"),
}


def render(name: str) -> str:
    """The recording file's text for room ``name``."""
    build, title = ROOMS[name]
    lines = build().frames()
    header = (f"# Room benchmark recording '{name}' ({title}); dy-barrage-grab v2.7.9 frames,\n"
              "# synthesised and seeded: <seconds>\\t<frame> per line.\n"
              "# Regenerate: python -m tests.standins.make_room_feeds\n")
    return header + "\n".join(format_line(f, t) for t, f in lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder to write NAME.feed into")
    parser.add_argument("--only", help="comma-separated room names: " + ",".join(ROOMS))
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else list(ROOMS)
    unknown = [n for n in names if n not in ROOMS]
    if unknown:
        parser.error(f"unknown room(s): {', '.join(unknown)} (known: {', '.join(ROOMS)})")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = args.out / f"{name}.feed"
        path.write_text(render(name), encoding="utf-8")
        frames = sum(1 for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#"))
        print(f"wrote {frames} frames, {path.stat().st_size} bytes to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
