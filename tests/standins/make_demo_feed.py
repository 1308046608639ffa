"""Writes the demo live-room recording ``data/demo/room.feed`` (deterministic, seeded).

    python -m tests.standins.make_demo_feed [--out data/demo/room.feed] [--seed N]

About four minutes of a Chinese e-commerce room selling a face cream (面霜), a snack (坚果礼盒)
and a T-shirt: all nine frame types in dy-barrage-grab v2.7.9 shape, questions about price,
size, shipping and ingredients, gift combos, small and big gifts, a burst of entries, like
batches, room stats every ten seconds, a share, fans-club joins, and the end of the live.
Format: see app/live/recording.py (``<offset>\\t<frame>`` per line).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from app.live.recording import format_line
from tests.standins.dybarrage import Room, Viewer

DURATION_S = 240.0
ROOM = Room(room_id="7438211000000000001", web_room_id="615189692839", title="源头好物 面霜零食T恤 工厂价")

NICKS = [
    "小鹿乱撞🦌", "momo", "用户8823571", "爱吃🍓的猫", "A.王姐 批发", "~清风~", "Ｌｉｎｄａ", "【小太阳】",
    "🌸花花🌸", "张三丰", "大胃王不胖", "_夜猫子_", "嘻嘻哈哈😂", "宝妈一枚", "程序员阿杰", "ゞ北城ゞ",
    "零食控", "一只咸鱼", "   空格君  ", "护肤小白", "广东靓仔", "东北大妞儿", "奶茶三分糖", "Mr.Li",
    "追光的人✨", "芒果不酸", "小红薯🍠", "夏天的风", "七七", "老王", "学生党没钱", "安好．",
]

QUESTIONS = [
    "这个面霜多少钱", "多少钱啊主播", "面霜什么价格", "坚果礼盒多少钱一盒", "T恤多少钱两件",
    "T恤有什么尺码", "我165 120斤穿什么尺码", "尺码偏大还是偏小？", "有XL吗", "男生能穿吗 多大码",
    "什么时候发货", "包邮吗", "新疆包邮吗？", "今天下单明天能发货吗", "发什么快递",
    "面霜成分是什么", "孕妇能用吗", "敏感肌可以用吗", "有没有酒精", "坚果是今年的新货吗",
    "保质期多久", "零食有没有添加剂", "T恤是纯棉的吗", "会不会起球", "可以退换吗",
]
CHATTER = [
    "来了来了", "主播好", "😂😂😂", "666", "已拍", "已下单 等发货", "买过 好用👍", "主播声音好好听",
    "支持支持", "[比心][比心]", "上链接", "再讲讲面霜", "哈哈哈哈", "晚上好呀", "👏👏", "坚果好吃",
    "T恤颜色好看", "还有库存吗", "拍了两件", "刚来 讲的什么", "🌹🌹🌹", "冲冲冲", "回购第三次了",
]

SMALL_GIFTS = [(5655, "小心心", 1), (463, "玫瑰", 1), (4353, "人气票", 1), (3246, "棒棒糖", 9)]
BIG_GIFTS = [(3389, "火箭", 10001), (3529, "嘉年华", 30000)]


class DemoRoom:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.msg_id = 7438211000000000000 + self.rng.randrange(10**12)
        self.lines: list[tuple[float, str]] = []
        self.viewers = [Viewer(id=1_000_000 + i * 7919, nickname=n, pay_level=self.rng.choice([-1, 0, 0, 3, 8, 15, 22]),
                               gender=self.rng.choice([1, 2]), level=self.rng.choice([0, 0, 0, 12]),
                               club_name="源头小铺" if i % 5 == 0 else "", club_level=self.rng.randint(1, 12) if i % 5 == 0 else 0)
                        for i, n in enumerate(NICKS)]
        self.online = 180
        self.total = 9500
        self.likes = 2000
        self.group = 1731234560000

    def next_id(self) -> int:
        self.msg_id += self.rng.randint(3, 9000)
        return self.msg_id

    def add(self, t: float, frame: str) -> None:
        self.lines.append((round(t, 3), frame))

    def viewer(self) -> Viewer:
        return self.rng.choice(self.viewers)

    # ---- scenes ---------------------------------------------------------------------------------

    def stats(self, t: float) -> None:
        self.online = max(50, self.online + self.rng.randint(-15, 40))
        self.total += self.rng.randint(40, 300)
        self.add(t, ROOM.stats(self.next_id(), self.online, self.total))

    def like_batch(self, t: float) -> None:
        for k in range(self.rng.randint(1, 4)):
            count = self.rng.randint(1, 30)
            self.likes += count
            self.add(t + k * 0.15, ROOM.like(self.next_id(), self.viewer(), count, self.likes))

    def combo(self, t: float, user: Viewer, gift: tuple[int, str, int], steps: list[int]) -> None:
        """A combo as dy-barrage-grab pushes it: one frame per increment, RepeatCount running."""
        gift_id, name, diamonds = gift
        self.group += self.rng.randint(1000, 99999)
        repeat = 0
        for k, inc in enumerate(steps):
            repeat += inc
            self.add(t + k * 0.4, ROOM.gift(self.next_id(), user, gift_id=gift_id, name=name, diamonds=diamonds,
                                            increment=inc, repeat=repeat, group_id=self.group, combo=True))

    def single_gift(self, t: float, user: Viewer, gift: tuple[int, str, int], count: int = 1) -> None:
        gift_id, name, diamonds = gift  # groupId 0: never cached, so GiftCount == RepeatCount
        self.add(t, ROOM.gift(self.next_id(), user, gift_id=gift_id, name=name, diamonds=diamonds,
                              increment=count, repeat=count, group_id=0, combo=False))

    def build(self) -> list[tuple[float, str]]:
        rng = self.rng
        self.stats(0.2)
        for k in range(6):
            self.add(0.5 + k * 0.7, ROOM.enter(self.next_id(), self.viewer(), self.online + k))
        t = 5.0
        next_stats = 10.0
        while t < DURATION_S - 8:
            if t >= next_stats:
                self.stats(t)
                next_stats += 10.0
            roll = rng.random()
            if roll < 0.32:
                self.add(t, ROOM.comment(self.next_id(), self.viewer(), rng.choice(QUESTIONS)))
            elif roll < 0.55:
                self.add(t, ROOM.comment(self.next_id(), self.viewer(), rng.choice(CHATTER)))
            elif roll < 0.70:
                self.add(t, ROOM.enter(self.next_id(), self.viewer(), self.online + rng.randint(0, 20)))
            elif roll < 0.82:
                self.like_batch(t)
            elif roll < 0.88:
                self.single_gift(t, self.viewer(), rng.choice(SMALL_GIFTS[1:]), rng.choice([1, 1, 1, 2, 5]))
            elif roll < 0.92:
                self.add(t, ROOM.follow(self.next_id(), self.viewer()))
            else:
                self.combo(t, self.viewer(), SMALL_GIFTS[0], [1] * rng.randint(2, 5))
            t += rng.uniform(0.3, 1.6)
        self.scripted_moments()
        self.add(DURATION_S + 1.0, ROOM.live_end(self.next_id()))
        self.lines.sort(key=lambda x: x[0])  # stable: frames of one moment keep their order
        return self.lines

    def scripted_moments(self) -> None:
        """The moments a demo must show, at fixed times."""
        v = self.viewers
        # a burst of entries after the platform pushes the room
        for k in range(25):
            self.add(30.0 + k * 0.08, ROOM.enter(self.next_id(), self.viewer(), self.online + k))
        # combos with x1,x2,x3 increments (RepeatCount 1, 3, 6)
        self.combo(45.0, v[3], SMALL_GIFTS[0], [1, 2, 3])
        self.combo(95.0, v[9], SMALL_GIFTS[1], [1, 1, 1])
        self.add(60.0, ROOM.share(self.next_id(), v[7], 1))
        self.add(61.5, ROOM.enter(self.next_id(), Viewer(id=2_000_001, nickname="分享来的朋友"), self.online, via_share=True))
        self.add(75.0, ROOM.fansclub(self.next_id(), Viewer(id=v[4].id, nickname=v[4].nickname, club_name="源头小铺", club_level=1), 12581))
        self.add(150.0, ROOM.fansclub(self.next_id(), Viewer(id=v[0].id, nickname=v[0].nickname, club_name="源头小铺", club_level=5), 0, join=False))
        self.add(118.0, ROOM.comment(self.next_id(), v[12], "刚送了火箭🚀 主播看看我"))
        self.single_gift(120.0, v[12], BIG_GIFTS[0])
        self.add(200.0, ROOM.comment(self.next_id(), v[20], "嘉年华走一个！面霜给我留两瓶"))
        self.single_gift(201.0, v[20], BIG_GIFTS[1])
        self.add(203.0, ROOM.follow(self.next_id(), v[20]))
        self.add(230.0, ROOM.comment(self.next_id(), v[25], "明天还播吗？"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "data" / "demo" / "room.feed"))
    parser.add_argument("--seed", type=int, default=20250415)
    args = parser.parse_args(argv)
    lines = DemoRoom(args.seed).build()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# Demo dy-barrage-grab v2.7.9 recording (synthesised, seed {args.seed}): <seconds>\\t<frame> per line.\n"
              "# Regenerate: python -m tests.standins.make_demo_feed\n")
    out.write_text(header + "\n".join(format_line(f, t) for t, f in lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} frames, {lines[-1][0]:.0f} s, {out.stat().st_size} bytes to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
