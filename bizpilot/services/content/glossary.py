"""Chinese renderings of attribute keys, values, units and categories, so Chinese copy can state an English-keyed
fact ('color': 'blue' -> 颜色 蓝色) and the checker can recognise the value in either language. Seeded from the
demo catalog's vocabulary (the words a B2B supplies catalog uses); unknown words stay as they are."""

from __future__ import annotations

from bizpilot.ingest.demo_content import ATTR_LABELS_EN, ATTR_LABELS_ZH, CATEGORIES, UNITS_ZH, VALUES_ZH

_CATEGORIES_ZH = {c.name: c.name_zh for c in CATEGORIES}
_EXTRA_ZH = {
    "hospitality": "酒店餐饮", "education": "教育", "healthcare": "医疗健康", "construction": "建筑",
    "retail": "零售", "manufacturing": "制造", "food processing": "食品加工", "logistics": "物流",
    "strategic": "战略客户", "standard": "标准客户", "key": "重点客户", "small": "小型客户", "prospecting": "商机挖掘",
    "qualification": "需求确认", "proposal": "方案报价", "negotiation": "商务谈判",
}


def value_zh(value: str) -> str:
    """A product attribute value in Chinese."""
    return VALUES_ZH.get(value) or _EXTRA_ZH.get(value) or value


def term_zh(value: str) -> str:
    """An account/CRM term (industry, tier, stage) in Chinese."""
    return _EXTRA_ZH.get(value) or VALUES_ZH.get(value) or value


def attr_label(key: str, language: str) -> str:
    if language == "zh":
        return ATTR_LABELS_ZH.get(key, key.replace("_", " "))
    return ATTR_LABELS_EN.get(key, key.replace("_", " "))


def unit_zh(unit: str) -> str:
    return UNITS_ZH.get(unit, unit)


def category_zh(category: str) -> str:
    return _CATEGORIES_ZH.get(category, category)


__all__ = ["attr_label", "category_zh", "term_zh", "unit_zh", "value_zh"]
