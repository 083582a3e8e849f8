"""Questions whether the supplier sells something ("Do you stock thread locker?", "你们卖手机吗"): answered only when
the knowledge base names the thing asked for.

Retrieval always returns *something*: asked for pizza or pet food, it finds the ordering or returns article by the
word "order" or "卖", and the answer quotes a policy that says nothing about pizza. The thing asked for is what
decides: when the best chunks name it ("Thread Locker" in the adhesives guide), the question is grounded even if
the intent model calls it off-topic; when they do not, nobody here can say yes or no, and a person takes it.
"""

from __future__ import annotations

import re

from bizpilot.retrieval.types import Hit
from bizpilot.services.assistant.compose import coverage

# "do you sell/carry/stock/have X", "u sell X", "any X in stock"; the thing is what follows, up to a clause break.
_EN_ASK = re.compile(
    r"\b(?:do|does|can|could)\s+(?:you|u|ya)\s+(?:guys\s+)?(?:sell|carry|stock|supply|offer|have)\s+(?:any\s+)?"
    r"(?P<a>[^?.,!;:]+)|^(?:you|u)\s+(?:sell|carry|stock|have)\s+(?:any\s+)?(?P<b>[^?.,!;:]+)|"
    r"\bany\s+(?P<c>[^?.,!;:]+?)\s+in\s+stock\b|\bcan\s+(?:i|we)\s+(?:order|buy|get|purchase)\s+(?P<d>[^?.,!;:]+?)\s+"
    r"(?:from|through|via)\s+(?:you|u)\b", re.I)
_ZH_ASK = re.compile(
    r"(?:你们|你家|贵司|贵公司)(?:有没有卖|有卖|卖不卖|卖|有没有)(?P<a>[^，,。？?！!\s]{1,16}?)(?:吗|没|不|嘛|呀|啊|？|\?|$)|"
    r"^(?:请问)?(?:有没有卖|有没有|有卖)(?P<b>[^，,。？?！!\s]{1,16}?)(?:吗|没|不|嘛|呀|啊|？|\?|$)|"
    r"(?P<c>[^，,。？?！!\s]{2,16}?)(?:有卖|有得卖|卖不卖)的?(?:吗|没|不|嘛|呀|$)")
# Words that name no thing ("do you have any products in 20 L?", "有没有货") or a policy rather than goods.
_GENERIC = re.compile(r"\b(?:products?|items?|stuff|things?|goods|anything|something|stock|it|them|one|ones|those|"
                      r"this|that|these|more|other|else|available|the|a|an|some|in|of|for|with)\b|东西|产品|商品|货|现货",
                      re.I)
_POLICY = re.compile(r"\b(?:terms|discount|warranty|guarantee|delivery|shipping|express|account|manager|rep|"
                     r"portal|invoice|payment|credit|return|refund|certificate|sds|datasheet|policy|option|dock|"
                     r"minimum|tracking)\w*\b|账期|折扣|保修|质保|发货|配送|快递|客户经理|发票|付款|退货|退款|证书|"
                     r"认证|资料|政策|起订", re.I)
#: The best chunks must name more than this share of the thing's words (both of "thread locker", not only "ticket"
#: of "concert tickets").
NAMED_SHARE = 0.5


def thing_asked_for(question: str) -> str | None:
    """The goods a "do you sell X" question asks about, or None (not such a question, or it asks about a policy
    or service: "Do you offer net 30 terms?", "Do you have a loading dock?")."""
    m = _EN_ASK.search(question) or _ZH_ASK.search(question)
    if not m:
        return None
    thing = next(g for g in m.groups() if g)
    # the goods, without what qualifies them ("stretch film in heavy-duty grade", "gloves with a cuff")
    thing = re.split(r"\s+(?:in|with|for|to|at|from|that|which|and|or|if|so|like)\s+", thing, maxsplit=1)[0]
    if _POLICY.search(thing) or not _GENERIC.sub(" ", thing).strip():
        return None
    return thing.strip()


def names_thing(thing: str, hits: list[Hit]) -> bool:
    """Do the best chunks name the thing (most of its words)?"""
    text = "\n".join(h.chunk.index_text() for h in hits[:5])
    return coverage(_GENERIC.sub(" ", thing), text) > NAMED_SHARE


__all__ = ["NAMED_SHARE", "names_thing", "thing_asked_for"]
