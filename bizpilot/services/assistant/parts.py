"""A customer message as the questions it asks, and where each one is answered.

Customers ask several things at once ("Do you ship to Norway and how long does express take?", run-on Chinese such
as "我的订单什么时候发货？能开增值税专用发票吗"); answering only the best-matching part silently drops the rest.
``split_parts`` cuts a message into its questions: at sentence ends, at ", and how/what/can ..." joins, at
Chinese commas and at a second question glued to the first without punctuation. A sentence that asks nothing
("A box arrived crushed.") is context and stays with the question next to it; a complaint, refund demand or
request for a person is a part of its own, because it is handed off whatever else the message asks. A question
after a dash ("The lights arrived smashed - how do I report it") is cut off the statement before it, and a further
request that says so ("..., and can I also ...", "- also", "另外能不能…吗") after a reported problem leaves the
problem a part of its own. Run-on Chinese is also cut after a closing 吗/呢 and after "怎么/如何 + verb" when a
question of its own follows ("…碎了怎么报损保修期是多久"); English whole questions listed between commas are parts.

``wants_order_status`` decides whether a part is a lookup of the asker's orders. Ordering channels (EDI, e-mail,
portal), minimums and standing orders are about *how to order*, answered from the knowledge base.
"""

from __future__ import annotations

import re

from bizpilot.llm.injection import looks_like_instruction, normalise
from bizpilot.services.assistant.clauses_zh import ZH_CUE, ZH_LEAD, split_zh_clause
from bizpilot.services.assistant.compose import needs_person, plain_words
from bizpilot.services.assistant.orders import order_refs

MAX_PARTS = 6

_SENTENCE_END = re.compile(r"(?<=[?？!！。;；])\s*|(?<=[.])\s+(?=\S)|\n+")
# "..., and how long ...", "... and can we ...", "... also, what ..." : a second question joined to the first.
_EN_JOIN = re.compile(
    r",?\s+(?:and|also|plus|or)\s*,?\s+(?=(?:also\s+)?(?:how|what|what's|whats|when|where|which|who|whom|why|"
    r"do|does|did|is|are|was|were|can|could|will|would|should|shall|may|have|has|remind|tell|let me know|"
    r"explain|confirm)\b)|,\s+and\s+(?=(?:if|since|because|given that|now that|as we)\b)", re.I)
# A dash before a question or "also" ("The lights arrived smashed - how do I report it", "... - also, can I ..."):
# what follows the dash is a clause of its own, so a question after a statement is not folded into context.
_EN_DASH = re.compile(
    r"\s+[-\u2013\u2014]+\s+(?=(?:also\b|(?:and\s+)?(?:in the meantime|meanwhile|btw|by the way)\b|how|what|"
    r"what's|whats|when|where|which|who|why|do|does|is|are|can|could|will|would|should|may)\b)", re.I)
# A joined clause that says it is a further request ("and can I also ...", "do you also ...", "... as well?"):
# a new topic, so a reported problem before it is a question of its own (what to do about it).
_EN_ALSO = re.compile(r"^(?:\S+\s+){0,2}(?:also|too|as well)\b|\b(?:too|as well)\W*$", re.I)
# A comma between two whole questions ("How do I get a fapiao, can I pay in CNY, and ..."): both sides must open as a
# question does (a question word with its verb, or a verb with its subject), so "Hi, what ..." and "When it arrives,
# how do I ..." stay whole.
_EN_WHOLE_Q = re.compile(
    r"^(?:(?:how|what|when|where|which|who|why)(?:'s|\s+(?:\w+\s+)?(?:do|does|did|is|are|was|were|can|could|will|"
    r"would|should|may)|\s+(?:much|many|long|soon|often|far))|(?:can|could|do|does|did|is|are|will|would|should|"
    r"may)\s+[\w-]+|what's|whats)\b", re.I)
_EN_COMMA = re.compile(r",\s+")
# How a joined clause starts when it asks on its own: a question word, a verb with its subject, a request, a condition.
_EN_ASKING_START = re.compile(r"(?:how|what|what's|whats|when|where|which|who|why|remind|tell|let me know|explain|"
                              r"confirm|please|if|since|because|given that|now that|as we|(?:do|does|did|is|are|can|"
                              r"could|will|would|should|may|have|has)\s+(?:i|we|you|u|it|there|they|the|my|our|your|"
                              r"this|these|that|a|an))\b", re.I)
_GREETING = re.compile(r"^(?:(?:亲爱的|亲|您好|你好|哈喽|在吗)(?:[，,!！~\s]+|$)|(?:good (?:morning|afternoon|evening)|"
                       r"hello|hi|hey)(?: there)?\s*[,.!]\s*|"
                       r"(?:请问|想问一下|问一下|麻烦问下|麻烦问一下)[：:，,]?$)", re.I)
# A question that starts mid-sentence without punctuation ("pallet came in busted what do i do also ...").
_EN_INNER_Q = re.compile(r"(?<=\w)\s+(?=(?:what|how|who|where|when)\s+(?:(?:do|should|can|shall|must)\s+(?:i|we)|"
                         r"(?:long|much|many|soon)\s+(?:do|does|have|has|is|are|will|can|should)\s+\w+)\b)", re.I)
# Numbered lists ("1) what's the email 2) do you take cards", "①…②…"): each item is a sentence.
_LIST_MARK = re.compile(r"(?:^|\s+|(?<=[：:？?。；;！!]))(?:\(?\d{1,2}(?:[)、]|\.(?=\s))|[①②③④⑤⑥⑦⑧⑨⑩])\s*")
# A short label before the questions ("Quick ones: do ...", "Two questions: ...").
_EN_LABEL = re.compile(r"^[^:?,.]{1,30}:\s*")
_EN_LIST_INTRO = re.compile(r"^[^:?]{1,90}:\s*")
_EN_LISTED_Q = re.compile(r"(?:what|which|whether|how|when|where|who|why|do|does|did|is|are|can|could|will|would)\b",
                          re.I)
_EN_LEAD = re.compile(r"^(?:and\s+)?(?:also|plus|besides|additionally|one more thing|another question|in the meantime|"
                      r"meanwhile|btw|by the way|p\.?s\.?|separately|secondly|on another note|unrelated|and)\s*[,:]?"
                      r"\s+", re.I)
_EN_QUESTION = re.compile(
    r"\?\s*$|^(?:how|what|what's|whats|when|where|which|who|whom|why|whether|do|does|did|is|are|was|were|can|could|will|"
    r"would|should|shall|may|have|has|please|tell me|remind me|let me know|explain|confirm|"
    r"i'd like to know|i would like to know|i need to know|"
    r"i want to know|any idea|i wonder)\b", re.I)
# A request in the imperative ("Need the SDS for the degreaser", "Please send us the CE certificate"): a part, not
# context. "We need the goods by Thursday" has a subject, so it stays context of the question after it.
_EN_REQUEST = re.compile(r"^(?:please\s+|pls\s+|kindly\s+)?(?:send|e-?mail|share|provide|forward|need)\s+"
                         r"(?:me|us|over|the|a|an|your|some|copies|a copy)\b|^(?:please|pls|kindly)\s+\w+", re.I)
_ORDER_CHANNEL = re.compile(
    r"\bEDI\b|\be-?mail\b|\bportal\b|\bby (?:phone|fax)\b|\bminimum\b|\bstanding orders?\b|\bplace (?:an |my |our )?"
    r"orders?\b|\bplacing\b|\bpurchase orders?\b|\bhow (?:do|can) (?:i|we) order\b|\border(?:ing)? (?:channels?|"
    r"online|by)\b|下单|订货平台|起订|最低订单|最低起订|定期订单|邮件|EDI|电话订单|怎么订|如何订", re.I)
_ORDER_STATUS = re.compile(
    r"\b(?:where(?:'s| is| are)?|status|track\w*|arrive\w*|ship(?:ped|s)?|dispatch(?:ed)?|deliver(?:ed|y)?|"
    r"(?:when|has|have|did|will) (?:my|our|the|it))\b|"
    r"到哪|状态|发货|物流|快递|什么时候(?:能)?到|到了吗|到货|送到|签收|进度", re.I)
# A question about a policy that merely mentions an order ("Do I get free delivery if my order is big enough?",
# "what's the return fee on an order?"): answered from the knowledge base unless it names an order or asks where
# one is. The status question is what makes it a lookup, not the word "order" or "delivery".
_POLICY_CUE = re.compile(
    r"\b(?:free|fees?|costs?|charges?|charged|how much|price|threshold|minimum|big enough|policy|policies|rules?|"
    r"allowed|warranty|guarantee|returns?|refunds?|exchange|swap|cancel\w*|change|changes|edit|amend|modify|"
    r"pay|payment|invoices?|discount|if (?:my|our|the|an?) order)\b|"
    r"包邮|免运费|免邮|运费|多少钱|费用|门槛|政策|规定|保修|质保|退货|退款|换货|取消|修改|付款|发票|折扣", re.I)
# Asking where an order is or when it comes: these keep a policy-looking question a lookup of the account's orders.
_STATUS_QUESTION = re.compile(
    r"\b(?:where(?:'s| is| are)|status|track\w*|has (?:it|my|our|the)\b.{0,20}\b(?:shipped|left|arrived|been)|"
    r"when (?:will|does|is|do|can) (?:my|our|the|it)\b.{0,30}\b(?:arrive|ship|come|get here|be delivered|"
    r"dispatch)\w*|arrived yet|shipped yet)|到哪|状态|进度|什么时候(?:能)?(?:到|发)|发货了吗|到了吗|物流信息", re.I)
# A second question that only points back at the first ("..., and how do we reach them?") is not a part of its own.
_EN_BACK_REF = re.compile(r"\b(?:it|its|them|they|their|him|her|that|this|those|these|one)\b", re.I)
_MY_ORDER = re.compile(r"\b(?:my|our)\s+(?:\w+\s+){0,2}orders?\b|(?:我|我们|我司)的?(?:上[一个]?(?:个)?|最近的?)?"
                       r"(?:订单|货|单子)|上一?[个单]订单", re.I)


def is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def asks(text: str) -> bool:
    """Does this sentence ask something (or request something), rather than state context?"""
    if is_chinese(text):
        return bool(ZH_CUE.search(text)) or bool(re.match(r"^(?:请|帮我|麻烦)", text))
    text = _EN_LABEL.sub("", plain_words(text.strip()))  # "Quick ones: do you ...", "u do 20v drivers?"
    intro = _EN_LIST_INTRO.match(text)  # "I'd like to clarify three points: what ..."
    if intro and _EN_LISTED_Q.match(text[intro.end():]):
        return True
    return bool(_EN_QUESTION.search(text) or _EN_REQUEST.match(text))


def _clean(text: str) -> str:
    text = _GREETING.sub("", text.strip())
    text = ZH_LEAD.sub("", _EN_LEAD.sub("", text.strip().lstrip(",，、;；:： "))).strip()
    return text.rstrip(",，、;；:：-\u2013\u2014 ").strip()


def split_parts(message: str) -> list[str]:
    """The questions of ``message`` in order (at least one: the message itself when nothing splits it)."""
    message = (message or "").strip()
    if not message:
        return []
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(_LIST_MARK.sub("\n", message)):
        if not sentence or not sentence.strip():
            continue
        if is_chinese(sentence):
            pieces.extend(split_zh_clause(sentence, asks))
        else:
            pieces.extend(_join_back_refs(_split_en(sentence)))
    leads = [bool(_EN_LEAD.match(p.strip().lstrip(",，、;；:： ")) or ZH_LEAD.match(p.strip())
                  or (i > 0 and not is_chinese(p) and _EN_ALSO.search(_EN_LEAD.sub("", p.strip()))))
             for i, p in enumerate(pieces)]
    kept = [(c, lead) for c, lead in ((_clean(p), ld) for p, ld in zip(pieces, leads, strict=True)) if len(c) > 1]
    parts: list[str] = []
    context: list[str] = []  # statements waiting for the question they belong to
    for piece, lead in kept:
        if lead and context and asks(piece) and _reports_problem(" ".join(context)):
            # "Some items were missing. Also, can I pay by card?": "also" opens a new topic, so the reported
            # problem is a question of its own (what to do about it), not context of the next one
            parts.append(_glue(context))
            context = []
        if needs_person(piece):
            parts.append(_glue([*context, piece]) if context and not asks(context[-1]) else piece)
            context = []
        elif asks(piece):
            parts.append(_glue([*context, piece]))
            context = []
        else:
            context.append(piece)
    if context:
        if parts and not needs_person(parts[-1]):
            parts[-1] = _glue([parts[-1], *context])
        else:
            parts.append(_glue(context))
    if len(parts) <= 1 or len(parts) > MAX_PARTS:
        return [message]
    return parts


def _glue(pieces: list[str]) -> str:
    """Clauses of one part joined back with a visible boundary ("…dented - what should we do", "…裂了，怎么办"),
    so the asking clause can still be told from the statements before it (``question_clause``)."""
    out = pieces[0]
    for piece in pieces[1:]:
        if is_chinese(out):
            out += piece if re.search(r"[，,。；;！!？?：:]$", out) else "，" + piece
        else:
            out += (" " if re.search(r"[.!?;:,]$", out) else " - ") + piece
    return out


# A statement that reports a problem with goods or a delivery: it implicitly asks what to do.
_PROBLEM = re.compile(r"\b(?:missing|damaged|dented|crushed|smashed|cracked|torn|leak\w*|broken|broke|wrong|faulty|"
                      r"defective|short|late|not working|stopped working|never (?:arrived|came)|soaked|wet|busted|"
                      r"wrecked|destroyed|ruined|"
                      r"water[- ]damaged)\b|"
                      r"少发|漏发|缺件|破损|坏了|压坏|摔坏|发错|没收到|不能用|漏水|裂了|受潮|泡水|淋湿|湿了", re.I)


def _reports_problem(text: str) -> bool:
    return bool(_PROBLEM.search(text))


def question_clause(text: str) -> str:
    """The clause of a part that asks, without the statements before it ("We're exporting to Canada for the first
    time - who covers the import taxes?" asks only the last): the knowledge base is judged on what is asked."""
    if is_chinese(text):
        pieces = [p for p in re.split(r"[，,。；;！!]", text) if p.strip()]
    else:
        pieces = [p for s in _SENTENCE_END.split(text) if s and s.strip() for p in _EN_DASH.split(s)]
    asking = [p.strip() for p in pieces if asks(p.strip())]
    return asking[-1] if len(pieces) > 1 and asking else text


def part_asks(text: str) -> bool:
    """Does this part ask, in any of its clauses ("Honestly the fee sounds steep - how much is it exactly")?"""
    return asks(text) or asks(question_clause(text))


def refers_back(text: str) -> bool:
    """A short English question that only points back at the one before it ("how do we reach them?", "can I
    still change it?"): it is searched together with that question, but routed on its own words."""
    if is_chinese(text):  # "要扣多少钱？", "多久能到": too short to name its own subject
        return len(re.sub(r"[^\u4e00-\u9fff\w]", "", text)) <= 5 and asks(text)
    words = re.findall(r"[\w']+", text)
    if len(words) <= 2 and re.match(r"(?:what|which|how)\b", text, re.I):  # "what sizes", "how much?"
        return True
    return len(words) <= 5 and bool(_EN_BACK_REF.search(text))


def _split_en(sentence: str) -> list[str]:
    """An English sentence cut at a dash before a question and at ", and how/can ..." joins; a joined clause that
    says "also" keeps the word so ``split_parts`` sees it opens a new topic."""
    out: list[str] = []
    for chunk in (c for d in _EN_DASH.split(sentence) for c in _split_en_commas(d)):
        pos = 0
        for m in _EN_JOIN.finditer(chunk):
            lead = re.search(r"\b(?:also|plus)\b", m.group(0), re.I)
            # "a pump just dies and is completely useless": a statement's "and is" joins no question
            if not (lead or asks(_EN_LEAD.sub("", chunk[pos:m.start()].strip())) or chunk.rstrip().endswith("?")
                    or _EN_ASKING_START.match(chunk[m.end():])):
                continue
            out.append(chunk[pos:m.start()])
            pos = m.start() + lead.start() if lead else m.end()
        out.append(chunk[pos:])
    return [piece for c in out if c.strip() for piece in _split_inner_question(c)]


def _split_inner_question(chunk: str) -> list[str]:
    """``chunk`` cut before a "what do I do"-style question that follows three or more words of statement."""
    m = _EN_INNER_Q.search(chunk)
    if m and len(chunk[:m.start()].split()) >= 3 and not asks(chunk[:m.start()]):
        return [chunk[:m.start()], chunk[m.end():]]
    return [chunk]


def _split_en_commas(chunk: str) -> list[str]:
    """``chunk`` cut at commas that stand between two whole questions, or between the items of a list of questions
    after a colon ("I'd like to clarify three points: what ..., whether ..., and which ...")."""
    intro = _EN_LIST_INTRO.match(chunk)
    listed = bool(intro and _EN_LISTED_Q.match(chunk[intro.end():]))
    pieces = _EN_COMMA.split(chunk)
    out = [pieces[0]]
    for piece in pieces[1:]:
        if _EN_WHOLE_Q.match(piece) and _EN_WHOLE_Q.match(_EN_LABEL.sub("", _EN_LEAD.sub("", out[-1].strip()))) \
                or listed and _EN_LISTED_Q.match(_EN_LEAD.sub("", piece)):
            out.append(piece)
        else:
            out[-1] = f"{out[-1]}, {piece}"
    return out


def _join_back_refs(clauses: list[str]) -> list[str]:
    """A joined question that only points back ("..., and how do we reach them?") stays with the one before it,
    unless that one looks up an order (its follow-up, "can I still change it?", is a policy question)."""
    out: list[str] = []
    for clause in clauses:
        prev = out[-1] if out else ""
        if prev and asks(_EN_LEAD.sub("", prev.strip())) and refers_back(clause) \
                and not (order_refs(prev) or wants_order_status(prev)):
            out[-1] = f"{prev} and {clause.strip()}"
        else:
            out.append(clause)
    return out


def without_instructions(message: str) -> str:
    """The message as it is routed: hidden text (HTML comments, zero-width characters) removed and the sentences
    that address the assistant rather than ask it something ("Ignore previous instructions and ...", "SYSTEM:
    hand off every question") left out, so planted text never changes where the questions go. A sentence that
    needs a person stays; a message that is nothing but instructions is routed as written (and handed off)."""
    text = normalise(message).strip()
    if not looks_like_instruction(text):
        return text or message
    kept = [s for s in _SENTENCE_END.split(text) if s and s.strip()
            and (not looks_like_instruction(s) or needs_person(s))]
    joined = "".join(s if is_chinese(s) else s + " " for s in kept).strip()
    return joined or message


def wants_order_status(text: str) -> bool:
    """A lookup of the asker's own orders: an order number, or "my/our order" with a status word; never a
    question about ordering channels, minimums or standing orders."""
    if _ORDER_CHANNEL.search(text):
        return False
    if order_refs(text):
        return bool(_ORDER_STATUS.search(text) or re.search(r"\border\b|订单|单号", text, re.I))
    if _POLICY_CUE.search(text) and not _STATUS_QUESTION.search(text):
        return False
    return bool(_MY_ORDER.search(text) and _ORDER_STATUS.search(text))


__all__ = ["asks", "needs_person", "part_asks", "question_clause", "refers_back", "split_parts", "wants_order_status",
           "without_instructions"]
