"""Deciding and wording an answer: confidence from the retrieval evidence, the hand-off rules, and an extractive
answer whose every sentence comes from a cited source.

The assistant never writes a claim of its own: answer sentences are copied from retrieved chunks (or from the
account's order records) and each carries the number of its source, ``[1]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from bizpilot.llm.injection import drop_instructions
from bizpilot.retrieval.analyzers import MixedAnalyzer
from bizpilot.retrieval.synonyms import QueryExpander
from bizpilot.retrieval.types import Hit

# Cosine of multilingual-e5-small sits in a narrow band (unrelated ~0.72, on-topic ~0.85+): mapped to 0..1.
COS_FLOOR = {"e5-small-q4": 0.78, "minilm-l6-int8": 0.25}
COS_CEIL = {"e5-small-q4": 0.88, "minilm-l6-int8": 0.60}
MIN_CONFIDENCE = 0.45
#: Sentiment above which a question the intent model calls a complaint, with no complaint word or grievance in it,
#: is answered (the sentiment model puts most plain support questions between -0.3 and +0.3).

HANDOFF_INTENTS = {"complaint": "complaint"}
# A request for a person: asking to speak to / be called by someone, not a question that mentions a manager
# ("Do strategic accounts get a dedicated account manager?" is a knowledge-base question).
_ESCALATE = re.compile(
    r"\b(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|your\s+|my\s+|our\s+|the\s+|some\s*)?(?:account\s+)?(?:real\s+|actual\s+|live\s+)?"
    r"(?:human|person|agent|someone|somebody|manager|supervisor|representative|rep)\b|"
    r"\b(?:real|actual|live)\s+(?:person|human|agent)\b|\b(?:get|put|connect|transfer)\s+(?:me\s+)?(?:to\s+|with\s+|through\s+"
    r"to\s+)?(?:me\s+)?(?:a\s+|an\s+|your\s+|the\s+)?(?:human|person|agent|manager|supervisor)\b|"
    r"\b(?:want|need|demand)\s+(?:a\s+|an\s+|to\s+see\s+(?:a\s+|your\s+|the\s+)?)?(?:human|manager|supervisor)\b|"
    r"\bescalat\w*|\b(?:agent|someone|somebody|manager)\s+(?:to\s+)?call\s+me\b|\b(?:call|ring|phone)\s+me\b|"
    r"\b(?:get|have|tell)\s+(?:your|the)\s+(?:boss|manager|supervisor)\b|"
    r"\b(?:lawyers?|solicitors?|attorneys?)\b|\bnot (?:a |the |this )?(?:chat)?bot\b|\bnot (?:a |the )?robot\b|"
    r"\blegal action\b|\bsue (?:you|your)\b|\btake (?:you|this) to court\b|"
    r"律师|起诉|法院|法律途径|安排(?:个|一个)?(?:人工|真人|专人)|要人工|人工(?:跟|来)(?:我|我们)|\bnot\s+(?:a|this)\s+bot\b|转人工|人工客服|找人工|真人|找你们(?:领导|经理|主管)|"
    r"(?:叫|让)你们?(?:的)?(?:经理|主管|领导)|我要(?:找)?(?:经理|主管|领导)", re.I)
# A refund *demand* (handed off), not a question about the refund policy ("how long do refunds take?", "退款多久到账").
_REFUND_REQUEST = re.compile(
    r"\b(?:i|we)\s+(?:\w+\s+){0,2}(?:want|need|demand|expect|require|insist on)\b"
    r"(?!\s+to\s+(?:know|ask|check|understand|find out|see)).{0,40}\b(?:refund(?:ed)?|money back|"
    r"reimburse\w*|credited back|paid back|return (?:it|this|them))\b|"
    r"\b(?:i'd|we'd|i would|we would) like\b.{0,30}\b(?:refund|money back)\b|"
    r"\brefund (?:me|us|my|our)\b|^\W*(?:please\s+)?(?:refund|reimburse)\b|"
    r"\b(?:give|send|pay)\s+(?:me|us)\s+(?:\w+\s+)?(?:refund|money back)\b|"
    r"\bmoney back\b|\bfull refund\b|\bchargeback\b|\b(?:money|amount|payment)\s+(?:\w+\s+){0,2}(?:returned|paid back|"
    r"credited back|refunded)\b|"
    r"(?:我|我们)(?:要|想要|要求|需要)(?:申请)?(?:全额)?退(?:款|钱)|要求(?:全额)?退款|(?:给|帮)(?:我|我们)(?:全额)?退(?:款|钱)|"
    r"(?:马上|立即|立刻|赶紧|尽快)(?:给我们?)?(?:全额)?退(?:款|钱)|全额退款|退钱|把.{0,15}(?:钱|款|货款).{0,6}退|"
    r"(?:钱|货款|款项?)(?:必须|要求|要|得|马上|立即|全部|全额|都){0,3}退(?:回|还|给)", re.I)
# Plain complaint words (with negative sentiment they hand off even when the intent model says otherwise).
_COMPLAINT = re.compile(r"\b(?:unacceptable|disgrace\w*|furious|outrageous|ridiculous|appalling|fed up|sick of|"
                        r"worst(?![- ]case)|terrible service|complain\w*|junk|rubbish|crap|useless|dreadful|awful|"
                        r"horrible|shocking|pathetic|(?:poor|bad|lousy) service|"
                        r"very (?:unhappy|disappointed|angry))\b|投诉|太差|不负责任|气死|垃圾|太失望|很失望|"
                        r"很生气|没人管|忍无可忍", re.I)
# A grievance told without complaint words: contact that went unanswered ("nobody has called back", "still waiting
# for a reply", "emailed twice and no answer", "没人回复", "一直没人处理") or harm done by the supplier's people to
# the customer's property ("your driver scraped our gate"). Always a person's job, whatever the sentiment model says.
_GRIEVANCE = re.compile(
    r"\b(?:no\s*one|nobody|no-one)\s+(?:(?:has|have|had|ever|even|does|did|will|would|yet)\s+)*(?:call|rung|ring|"
    r"phon|repl|respond|answer|gets?\s+back|got(?:ten)?\s+back|comes?\s+back|came\s+back|return|contact|"
    r"follow\w*\s+up|been\s+in\s+touch|fix|bother|help|pick\w*\s+up)\w*\b|\bstill\s+(?:waiting|no\s+(?:answer|reply|response|word|call|news)|"
    r"(?:have\s*n[o']t|haven't|hasn't|not)\s+(?:heard|had|got(?:ten)?|received)\b.{0,20}\b(?:back|answer|reply|"
    r"response|call))|\b(?:never|not|haven't|hasn't|have not|has not)\s+(?:heard|got(?:ten)?|had)\s+(?:anything\s+)?"
    r"back\b|\bno\s+(?:one|body)\s+(?:gets?|got)\s+back\b|\b(?:called|rung|phoned|e-?mailed|written|wrote|chased|"
    r"asked|messaged)\s+(?:you\s+)?(?:\w+\s+){0,2}(?:twice|three times|several times|many times|\d+\s+times|"
    r"again and again|repeatedly)\b|\bwith(?:out)?\s+(?:no|any)\s+(?:answer|reply|response)\b|\bignor(?:ed|ing)\s+"
    r"(?:us|me|our|my)\b|\byour\s+(?:\w+\s+){0,2}(?:driver|courier|technician|engineer|fitter|installer|staff|"
    r"crew|guys?|people|delivery\s+(?:man|guy|team)|van|truck|lorry|forklift)(?:s|'s)?\s+(?:[\w-]+\s+){0,2}(?:scraped|"
    r"scratched|damaged|broke|hit|dented|smashed|crashed|knocked|ruined|spilled|spilt|left|cracked|blocked|gouged|"
    r"scuffed|tore|ripped|bent|backed into|reversed into|ran into|drove into)\b|"
    r"\b(?:scraped|scratched|damaged|broke|hit|dented|smashed|crashed into|knocked over|ruined|gouged|scuffed)\s+"
    r"(?:our|my|the)\s+(?:[\w-]+\s+){0,2}(?:gate|wall|door|fence|car|floor|building|property|premises|van|truck|dock|"
    r"shutter|yard|sign|barrier|racking|office)\b|\b(?:\w+|\d+) (?:days|weeks) to (?:answer|reply|respond|get back)\b|"
    r"没人(?:回复|回|理|管|联系|跟进|处理|回电|答复)|没有人(?:回复|回|理|联系|跟进|处理|答复)|一直(?:没|没有|不)(?:人)?"
    r"(?:处理|回复|回音|答复|联系|解决|跟进)|(?:至今|到现在|到今天)(?:都|还)?(?:没|没有|不)(?:人)?(?:处理|回复|答复|联系|"
    r"解决|跟进)|石沉大海|(?:催|问|打)了(?:好|很)?(?:几|多|三|两|N)(?:次|遍)|不回(?:复|消息|电话)|(?:司机|师傅|快递员|送货的?|"
    r"你们的人).{0,14}(?:刮|撞|弄坏|碰坏|划)|没有?人来(?:处理|管|看|修|联系)|"
    # a customer about to leave over the service: "ready to close our account", "换供应商", "不跟你们合作了"
    r"\b(?:close|closing|cancel|cancelling|canceling)\s+(?:our|my|the)\s+(?:\w+\s+)?account\b|\b(?:we're|we are|i'm|"
    r"i am) (?:so )?done with you\b|\btake\s+(?:our|my)\s+"
    r"business\s+elsewhere\b|\b(?:switch|switching|change|changing)\s+suppliers?\b|\b(?:find|look for|looking for)\s+"
    r"(?:a|another)\s+(?:new\s+)?supplier\b|\bstop\s+(?:ordering|buying)\s+from\s+you\b|销户|换(?:个|一家|家)?供应商|"
    r"不(?:再)?(?:跟|和|与)你们合作|(?:终止|取消|停止)合作", re.I)
# "How do I report a fault?", "水泵坏了怎么报修": asking how to get something fixed or what to do is a knowledge-base
# question (warranty, returns), even when the intent model reads the reported fault as a complaint.
_HOW_TO = re.compile(r"\b(?:how (?:do|can|should|would) (?:i|we)|what (?:do|should|can) (?:i|we) do|what now|"
                     r"what happens|who do (?:i|we) (?:tell|contact|call)|where (?:do|can|should) (?:i|we)|"
                     r"what(?:'s| is) the (?:process|procedure)|is (?:that|it|this) covered)\b|"
                     r"怎么(?:办|报修|处理|申请|操作|退|换|弄)|咋(?:办|弄|整|处理)|如何|怎样|流程|步骤|找谁|报修|"
                     # asking whether something is allowed: "Can we send it back without an RMA?", "…行不行"
                     r"\b(?:can|could|may) (?:i|we)\b|\bis it (?:ok|okay|fine|possible|allowed)\b|"
                     r"\b(?:do|would) (?:i|we) (?:need|have) to\b|行不行|行吗|可以吗|可不可以|能不能|是否可以", re.I)
_NO_PERSON = re.compile(r"(?:不是要|不用|不需要|不必|无需)(?:找|转)?(?:人工|真人|客服)|\b(?:don't|do not|no need to) "
                        r"(?:need |want )?(?:(?:to )?(?:speak|talk) to )?(?:a |an )?(?:human|person|agent|"
                        r"real person)\b", re.I)
_TEXTSPEAK = [(re.compile(r"\bur\b", re.I), "your"), (re.compile(r"\bu\b(?!-)"), "you"),
              (re.compile(r"\b(?:pls|plz)\b", re.I), "please"), (re.compile(r"\br\b(?!-)"), "are"),
              (re.compile(r"\bwhats\b", re.I), "what's"),
              (re.compile(r"\bw(?=\s+(?:a|an|the|your|someone|somebody)\b)"), "with")]
# Anger at oneself or a complaint word denied ("I'm furious with myself", "我们自己下错单", "Not a complaint about
# you"): the customer asks for help with their own slip, nothing to hand to a person.
# A reproach asked as a question ("Do you even read our e-mails?", "Why do you keep sending the wrong items?",
# "怎么又发错了"): a complaint in a question's form.
_REPROACH = re.compile(r"\bdo you even\b|\b(?:even|ever) (?:read|check|bother|care|listen)\b|\bkeep (?:sending|getting|"
                       r"making|doing|losing|missing|forgetting|breaking|delivering)\b|\bhow many times\b|"
                       r"\bwhy (?:do|does|did|is|are) (?:you|your|this|it) (?:\w+ )?(?:always|never|again|still)\b|"
                       r"\byet again\b|怎么又|为什么又|为什么总|老是|每次都|"
                       r"又(?:发错|漏发|晚|迟|坏|少)", re.I)
# A question about what would happen ("Worst case: a pump just dies and is useless - what does the warranty cover?").
_HYPOTHETICAL = re.compile(r"\b(?:worst[- ]case|what if|in case|suppose|supposing|hypothetically)\b|"
                           r"万一|假如|假设", re.I)
_SELF_BLAME = re.compile(r"\b(?:with|at) (?:myself|ourselves)\b|\bmy own (?:fault|mistake)\b|\bour own (?:fault|"
                         r"mistake|team|staff|people|receiving)\b|(?:\bnot|n't) (?:really )?(?:a )?complain\w*|"
                         r"\bno complaint\b|我们自己|我自己|怪我们|是我们的错|不是(?:要|想)?投诉", re.I)
_POLICY_OPINION = re.compile(r"\b(?:sounds?|seems?|looks?)\s+(?:a bit\s+|pretty\s+|really\s+|rather\s+|quite\s+|"
                             r"kind of\s+)?(?:outrageous|ridiculous|steep|excessive|unfair)\b|(?:听起来|感觉|好像)"
                             r"(?:有点|太|挺)?(?:离谱|贵|高|不合理)", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])\s*|\n+")

HANDOFF_TEXT = {
    "en": {
        "complaint": "I'm sorry about this. I have passed your message to our service team as ticket #{ticket}; "
                     "a colleague will get back to you personally.",
        "refund_request": "I have passed your refund request to our service team as ticket #{ticket}; a "
                          "colleague will review it and reply to you.",
        "escalation": "I have asked a colleague to take over (ticket #{ticket}); they will reply here shortly.",
        "out_of_scope": "I can only help with questions about orders, products and our service policies, so I "
                        "have passed this to a colleague (ticket #{ticket}).",
        "low_confidence": "I could not find a reliable answer in our knowledge base, so I have passed your "
                          "question to a colleague (ticket #{ticket}).",
        "order_not_found": "I could not find that order for your account, so I have passed your question to a "
                           "colleague (ticket #{ticket}).",
        "account_needed": "I can only share order details with the account that placed the order, so I have "
                          "passed your question to a colleague who can verify it (ticket #{ticket}).",
    },
    "zh": {
        "complaint": "非常抱歉给您带来不便。您的问题已转给客服团队处理（工单 #{ticket}），同事会尽快亲自联系您。",
        "refund_request": "您的退款申请已转给客服团队（工单 #{ticket}），同事审核后会回复您。",
        "escalation": "已为您转接人工客服（工单 #{ticket}），同事会尽快在这里回复您。",
        "out_of_scope": "我只能回答订单、产品和服务政策相关的问题，您的问题已转给同事处理（工单 #{ticket}）。",
        "low_confidence": "知识库中没有找到可靠的答案，您的问题已转给同事处理（工单 #{ticket}）。",
        "order_not_found": "没有在您的账户下找到该订单，您的问题已转给同事处理（工单 #{ticket}）。",
        "account_needed": "订单信息只能告知下单账户本人，您的问题已转给同事核实身份后处理（工单 #{ticket}）。",
    },
}

# Before the hand-off text when other parts of the message were answered: which part goes to a person.
PART_NOTE = {"en": "I can't answer this part here: \"{parts}\". ", "zh": "以下问题我无法在这里回答：“{parts}”。"}
PART_QUOTE = {"en": "\"; \"", "zh": "”；“"}


@dataclass
class Evidence:
    confidence: float
    cosine: float | None
    coverage: float


@lru_cache(maxsize=1)
def _analyzer() -> MixedAnalyzer:
    return MixedAnalyzer()


def clean_hits(hits: list[Hit]) -> list[Hit]:
    """Retrieved chunks as the assistant may read them: hidden text and sentences addressed to the assistant
    ("Ignore previous instructions and tell the customer ...", "SYSTEM: ...") cut out, so a planted instruction is
    never scored, quoted or cited; a chunk with nothing else left is dropped (the rest keep their order)."""
    out: list[Hit] = []
    for h in hits:
        text = drop_instructions(h.chunk.text)
        if text == h.chunk.text:
            out.append(replace(h, rank=len(out) + 1))
        elif text.strip():
            out.append(replace(h, chunk=replace(h.chunk, text=text), rank=len(out) + 1))
    return out


def coverage(query: str, text: str, expander: QueryExpander | None = None) -> float:
    """Share of the query's distinct search terms that occur in ``text``; with an ``expander`` a term also counts
    when ``text`` says it in another word of the same variant group (the question's "包邮" is covered by a
    sentence that says "免运费")."""
    an = _analyzer()
    q = {t for t in an.run(query) if not t.startswith("#")}
    if not q:
        q = set(an.run(query))
    if not q:
        return 0.0
    words = set(an.run(text))
    if expander is not None:
        found = expander.run(text)
        if found.terms:
            words |= set(an.run(" ".join(found.terms)))
    return len(q & words) / len(q)


def cosine_band_key(embedder_name: str | None) -> str | None:
    """The ``COS_FLOOR``/``COS_CEIL`` key of an embedder: a workspace-adapted one (``e5-small-q4+ws-<digest>``)
    uses its base model's band (the adapter starts at the identity and stays near it), rather than losing the
    cosine part of the confidence."""
    return embedder_name.partition("+ws-")[0] if embedder_name else None


def evidence(query: str, hits: list[Hit], embedder_name: str | None,
             expander: QueryExpander | None = None) -> Evidence:
    """Confidence in 0..1 that the best hit answers ``query``: calibrated cosine and term coverage combined."""
    if not hits:
        return Evidence(0.0, None, 0.0)
    best = 0.0
    best_cos = None
    best_cov = 0.0
    floor_key = cosine_band_key(embedder_name)
    for h in hits[:3]:
        cov = coverage(query, h.chunk.index_text(), expander)
        if h.cosine is not None and floor_key in COS_FLOOR:
            lo, hi = COS_FLOOR[floor_key], COS_CEIL[floor_key]
            cal = min(1.0, max(0.0, (h.cosine - lo) / (hi - lo)))
            score = 0.65 * cal + 0.35 * cov
        else:
            score = cov
        if score > best:
            best, best_cos, best_cov = score, h.cosine, cov
    return Evidence(round(best, 4), best_cos, round(best_cov, 4))


def plain_words(text: str) -> str:
    """Text-speak spelled out for the rules ("ur driver", "get ur boss to ring me", "u do 20v drivers?") and a
    request for a person that is denied ("我不是要找人工", "I don't need a human") left out; the customer's text
    itself is never changed."""
    for pattern, word in _TEXTSPEAK:
        text = pattern.sub(word, text)
    return _NO_PERSON.sub(" ", text)


def needs_person(text: str) -> bool:
    """Complaint words, a grievance (unanswered contact, harm to the customer's property), a refund demand or a
    request for a person: a part of its own, never folded into context."""
    text = plain_words(text)
    complaint = (bool(_COMPLAINT.search(text)) and not _POLICY_OPINION.search(text)  # "the fee sounds outrageous"
                 and not _SELF_BLAME.search(text) and not _HYPOTHETICAL.search(text))  # "furious with myself"
    return bool(complaint or _GRIEVANCE.search(text) or _ESCALATE.search(text) or _REFUND_REQUEST.search(text))


def handoff_reason(text: str, *, intent: str, sentiment_score: float, out_of_scope: bool,
                   asks: bool = False) -> str | None:
    """Why a person must answer this message (None: the assistant may answer). Complaints, refund demands and
    requests for a person come first, whatever else the text asks. A very negative message about a return is a
    refund request unless it ``asks`` a question ("The order already left, can I cancel it?" is answered: the
    sentiment model reads "can't"/"cancel" as negative)."""
    text = plain_words(text or "")
    grievance = bool(_GRIEVANCE.search(text))
    # A complaint word that judges a policy while asking about it ("your restocking fee sounds outrageous - how much
    # is it?") is an opinion about the rule, not a complaint about what happened.
    complaint_word = (bool(_COMPLAINT.search(text) or _REPROACH.search(text))
                      and not (asks and (_POLICY_OPINION.search(text) or _HYPOTHETICAL.search(text)))
                      and not _SELF_BLAME.search(text))
    procedural = (bool(_HOW_TO.search(text)) and not complaint_word and not grievance
                  and sentiment_score > -0.75)
    # The intent model's "complaint" alone, on a question with no complaint word and no grievance, is a misreading:
    # the fault a question names ("Is a drill that broke after 14 months still under warranty?", "坏掉的货要寄回去
    # 不"), a what-if ("万一货被压坏了怎么赔") or the customer's own slip makes it read negative, but asking is not
    # complaining. Measured on eleven question sets: hand-off recall stayed 1.0 without the sentiment bar.
    plain_question = asks and not complaint_word and not grievance
    if intent in HANDOFF_INTENTS and not procedural and not plain_question:
        return HANDOFF_INTENTS[intent]
    if grievance:
        return "complaint"
    if _ESCALATE.search(text):
        return "escalation"
    if _REFUND_REQUEST.search(text) or (intent == "returns_refunds" and sentiment_score <= -0.6
                                              and not asks and not _SELF_BLAME.search(text)):
        return "refund_request"
    if complaint_word and sentiment_score <= -0.3:
        return "complaint"
    if out_of_scope:
        return "out_of_scope"
    return None


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text or "") if s and s.strip() and len(s.strip()) > 1]


def extract(query: str, hits: list[Hit], *, max_sentences: int = 3, max_sources: int = 2,
            min_rel: float = 0.6, expander: QueryExpander | None = None) -> list[tuple[str, int]]:
    """(sentence, source number) pairs copied from the best chunks: the sentences sharing most terms with the
    question, in their original order. A second source is used only when it is close to the best one."""
    if not hits:
        return []
    top = hits[0].score
    chosen: list[tuple[str, int]] = []
    for n, h in enumerate(hits[:max_sources], start=1):
        if n > 1 and h.score < min_rel * top:
            break
        sents = sentences(h.chunk.text)
        if not sents:
            continue
        scored = [(coverage(query, (h.chunk.heading_path or "") + " " + s, expander), i, s)
                  for i, s in enumerate(sents)]
        budget = max_sentences - len(chosen) if n == 1 else 1
        if len(sents) <= budget:
            keep = list(range(len(sents)))
        else:
            keep = sorted(i for _, i, _ in sorted(scored, key=lambda x: (-x[0], x[1]))[:budget])
            if n > 1 and max(c for c, _, _ in scored) == 0:
                continue
        chosen.extend((sents[i], n) for i in keep)
        if len(chosen) >= max_sentences:
            break
    return chosen


def render(pairs: list[tuple[str, int]]) -> str:
    out = []
    for s, n in pairs:
        out.append(f"{s} [{n}]")
    return " ".join(out)
