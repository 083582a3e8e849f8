"""Run-on Chinese cut into its clauses: at commas and spaces between clauses (not inside brackets), after a closing
吗/呢, at 另外/还有/以及-style joiners and after "怎么/如何 + verb" when a question of its own follows. ``asks`` is
passed in by ``parts`` (whose rule for a sentence that asks covers mixed-language pieces too)."""

from __future__ import annotations

import re
from collections.abc import Callable

from bizpilot.retrieval.analyzers import chinese_words
from bizpilot.services.assistant.compose import needs_person

ZH_CUE = re.compile(r"吗|呢|么|想了解|想知道|想问|想咨询|行不行|会不会|好不好|啥|咋|是[^，,。]{0,12}还是|什么|多少|几|"
                     r"多久|多长|怎么|怎样|如何|哪|谁|是否|能否|可否|可不可以|能不能|有没有|是不是|要不要|请问|？|\?|"
                     # chat-style yes/no endings: "有M20的没呀", "能退不", "会发邮件通知不呀", "能转账嘛"
                     r"(?<![还都也并])没有?(?:呀|啊|哈|呢)?(?=$|[\s，,。？?！!])|不(?:呀|啊|哈|嘛)?(?=$|[\s，,。？?！!])|"
                     r"嘛(?=$|[\s，,。？?！!])")
ZH_LEAD = re.compile(r"^(?:另外|还有就是|再就是|还有(?!货|库存|现货|存货|没有|多少|几)|以及|并且|而且|顺便问一下|"
                      r"顺便问下|顺便|再问一下|再问|此外|同时|然后|对了)[，,、：:]?\s*")
# Where a second Chinese question starts inside a run-on clause ("...什么时候发货能开增值税专用发票吗").
_ZH_SECOND = re.compile(r"(?=(?:另外|再就是|还有|以及|此外|顺便|同时|能不能|可不可以|能否|可否|是否|能|可以|有没有|"
                        r"怎么|如何|请问))")


_BRACKETS = re.compile(r"[（(][^）)]{0,60}[）)]")
_MASK = str.maketrans({"，": "\x00", ",": "\x01", "、": "\x02", " ": "\x03"})
_UNMASK = str.maketrans({"\x00": "，", "\x01": ",", "\x02": "、", "\x03": " "})


def split_zh_clause(text: str, asks: Callable[[str], bool]) -> list[str]:
    """Cut a Chinese sentence at commas and at a glued second question, where each side asks on its own."""
    # commas inside brackets ("（比如FSC、PEFC）") list examples, they do not separate clauses
    masked = _BRACKETS.sub(lambda m: m.group(0).translate(_MASK), text)
    pieces = [p.translate(_UNMASK) for p in re.split(r"[，,、]|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", masked)
              if p.strip()]
    merged: list[str] = []
    whole_person = needs_person(text)  # "气死了，我们自己下错单…" is anger at oneself, whatever one clause says
    for piece in pieces:
        # a clause opened by 另外/还有/顺便 that asks is a question of its own even after a statement
        # ("灯碎了几个，另外能不能把证书发过来"); split_parts decides what the statement belongs to
        new_topic = bool(ZH_LEAD.match(piece)) and asks(piece)
        # a clause that needs a person is never folded into another ("…漏发了 再这样我们不跟你们合作了 对了…")
        # (a statement after it continues it: "我们要求全额退款，不要换货")
        person = whole_person and (needs_person(piece) or bool(merged and needs_person(merged[-1])
                                                                and (asks(piece) or ZH_LEAD.match(piece))))
        if merged and not new_topic and not person and not (
                asks(merged[-1]) and (asks(piece) or ZH_LEAD.match(piece))):
            merged[-1] = merged[-1] + "，" + piece
        else:
            merged.append(piece)
    out: list[str] = []
    for clause in merged:
        cut = _zh_second_question(clause, asks)
        out.extend([clause[:cut], clause[cut:]] if cut else [clause])
    return out


def _zh_second_question(clause: str, asks: Callable[[str], bool]) -> int | None:
    """Where a second question starts inside a run-on Chinese clause, or None. Three signs, each needing a question
    on both sides: a question word or 另外/还有 after a first question ("…什么时候发货能开…吗"); anything that asks
    after a closing 吗/呢 ("…可以取消吗另外以后…怎么设置"); a new clause after "怎么/如何 + verb"
    ("灯有几个碎了怎么报损保修期是多久": jieba words, so the verb is whole)."""
    for m in _ZH_SECOND.finditer(clause):
        left, right = clause[:m.start()], clause[m.start():]
        if len(left) < 4 or len(right) < 4 or not ZH_CUE.search(left) or re.search(r"[能可以否]$", left):
            continue
        closed = bool(re.search(r"[吗呢]$", left))  # a finished question: the right side only has to ask
        if closed and asks(right):
            return m.start()
        if re.search(r"吗|呢|？|\?", right) and not ZH_CUE.search(left[-2:]):
            return m.start()
        if ZH_LEAD.match(right) and asks(ZH_LEAD.sub("", right)):  # an explicit joiner: "…多久以及怎么申请…"
            return m.start()
    for m in re.finditer(r"[吗呢](?=[^吗呢？?]{4,})", clause):  # "…吗" then a further question with no joiner
        if len(clause[:m.end()]) >= 4 and asks(clause[m.end():]):
            return m.end()
    return _after_how_verb(clause)


def _after_how_verb(clause: str) -> int | None:
    """The end of "怎么/如何/怎样 + verb" when a question of its own follows it ("保修期是多久"), and something
    came before the question word (so "如何计算运费多少钱" stays whole: the verb takes what follows as object)."""
    words = chinese_words(clause)
    pos = 0
    for i, word in enumerate(words[:-2]):
        if word in ("怎么", "如何", "怎样") and pos >= 2 and not re.match(r"^(?:请问|想问|问一下)$", clause[:pos]):
            cut = pos + len(word) + len(words[i + 1])
            right = clause[cut:]
            if len(right) >= 4 and re.search(r"吗|呢|多久|多少|多长|几天|什么|怎么|如何|哪|谁|是否|能否|有没有|？|\?",
                                             right):
                return cut
        pos += len(word)
    return None


__all__ = ["ZH_CUE", "ZH_LEAD", "split_zh_clause"]
