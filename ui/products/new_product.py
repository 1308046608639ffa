"""What 新建 starts from: an empty product with a short guided template.

Nothing of another product's text is copied (复制 is the explicit way to do that). Every line the
operator has to write is a 【待填写：…】 placeholder; the product starts switched off, and the
editor refuses to switch it on while a placeholder is left (``checks.product_problems``).
"""

from __future__ import annotations

from app.content.product import DEFAULT_SEGMENTS

GUIDE = ("新商品：把所有【待填写：…】换成这件商品的真实内容（话术的四个段落、商品资料、关键词回复），"
         "然后勾选“参与话术循环”并保存，它才会在直播里播出。")

#: segment -> variant template. ``${product}``/``${price}`` are filled in when spoken.
SEGMENT_TEMPLATES = {
    "opening": "{欢迎|欢迎欢迎}来到直播间！今天给大家带来的是${product}，【待填写：一句话说清它是什么、适合谁】。",
    "selling_points": "${product}{最大的|第一个}特点是【待填写：第一个卖点】；还有【待填写：第二个卖点】。",
    "urging": "{今天|现在}直播间只要${price}，【待填写：优惠或赠品，例如 下单送小样】，喜欢的{朋友|家人们}{抓紧|赶紧}下单。",
    "after_sales": "【待填写：售后保障，例如 七天无理由退换、运费险】，{大家|各位}{放心|安心}拍。",
}
assert set(SEGMENT_TEMPLATES) == set(DEFAULT_SEGMENTS)


def new_product_data(name: str) -> dict:
    """product.json for a new product called ``name`` (switched off until filled in)."""
    return {
        "name": name,
        "price": "【待填写：价格，例如 89元】",
        "enabled": False,
        "selling_points": ["【待填写：卖点，每行一个】"],
        "facts": {"规格": "【待填写：例如 50克/瓶】", "适合人群": "【待填写：例如 上班族、学生】"},
        "variables": {},
        "segments": list(DEFAULT_SEGMENTS),
        "faq": [
            {"id": "价格", "any": ["多少钱", "价格", "怎么卖"], "priority": 0,
             "reply": "${product}{今天|现在}直播间只要${price}{|哦}。"},
            {"id": "发货", "any": ["发货", "几天到", "快递"], "priority": 0,
             "reply": "【待填写：发货说明，例如 下单后48小时内发货】。"},
        ],
    }
