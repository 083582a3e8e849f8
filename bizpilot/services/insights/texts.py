"""One message's words as the insight readers see them: its subject (a review title, an e-mail subject) and its text
as two sentences. Joined by a bare space, "Excellent quality" + "Great service as always" reads as one sentence
whose capitalised "Great" looks like a name mid-sentence, and a quote runs the title into the text."""

from __future__ import annotations

import re

_END = re.compile(r"[.!?。！？…:：;；]\s*$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def message_text(subject: str | None, text: str | None) -> str:
    """``subject`` and ``text`` as one string, the subject closed as a sentence ("Late again. Delivery was
    late..."; a Chinese subject with "。": "投诉：订单SO-1。不值这个价") unless it already ends with punctuation;
    either may be missing."""
    subject, text = (subject or "").strip(), (text or "").strip()
    if not subject or not text:
        return subject or text
    if _END.search(subject):
        return f"{subject} {text}"
    return f"{subject}。{text}" if _CJK.search(subject) else f"{subject}. {text}"


__all__ = ["message_text"]
