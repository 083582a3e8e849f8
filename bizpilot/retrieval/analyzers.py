"""Text analyzers for keyword search: a proper English analyzer and jieba ``cut_for_search`` for Chinese.

Mixed text (``"SKU A-100 的保修期"``) is split into CJK and non-CJK runs, each analysed by its own analyzer, so one
index serves both languages. Chinese runs can add character bigrams: users ask in words the knowledge base spells
differently, and bigrams catch what the segmenter split another way.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(f"([{_CJK}]+)")
_WORD = re.compile(r"[a-z0-9]+(?:['.-][a-z0-9]+)*")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Keep words that change what a support question means ("not", "no", "cannot"...).
STOPWORDS = frozenset(ENGLISH_STOP_WORDS) - {"not", "no", "nor", "cannot", "never", "without", "off", "on", "up",
                                               "down", "out", "over", "under", "back", "first", "last",
                                               # content words of a support question in sklearn's list
                                               "bill", "amount", "interest", "full", "empty", "part", "detail",
                                               "system", "call", "fire"}
ZH_STOPWORDS = frozenset("的 了 吗 呢 吧 啊 呀 是 我 你 他 她 它 们 在 和 与 及 或 也 就 都 而 这 那 有 么 "
                         "怎 个 一 请 问 下 嘛 哦 哈 啦".split())


def detect_language(text: str) -> str:
    """``zh`` when a noticeable share of the letters are CJK, else ``en``."""
    cjk = len(_CJK_CHAR.findall(text or ""))
    letters = sum(ch.isalpha() for ch in text or "")
    return "zh" if letters and cjk / letters >= 0.2 else "en"


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stem(word)


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english", ignore_stopwords=False)


class EnglishAnalyzer:
    """Lowercase, split on words (keeping ``a-100``, ``don't``), drop stopwords, Snowball-stem (no data files)."""

    def __init__(self, *, stem: bool = True, stopwords: frozenset[str] = STOPWORDS) -> None:
        self.stem = stem
        self.stopwords = stopwords

    def run(self, text: str) -> list[str]:
        words = _WORD.findall((text or "").lower())
        out = []
        for w in words:
            w = w.replace("'", "")
            if w in self.stopwords or not w:
                continue
            out.append(_stem(w) if self.stem and w.isalpha() else w)
        return out


@lru_cache(maxsize=1)
def _jieba():  # noqa: ANN202
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def chinese_words(text: str) -> list[str]:
    """jieba's words of ``text`` (precise mode), for rules that must see a whole verb or noun."""
    return _jieba().lcut(text)


class ChineseAnalyzer:
    """jieba ``cut_for_search`` (words and their sub-words), optionally plus character bigrams and unigrams."""

    def __init__(self, *, bigrams: bool = True, unigrams: bool = False) -> None:
        self.bigrams = bigrams
        self.unigrams = unigrams

    def run(self, text: str) -> list[str]:
        jieba = _jieba()
        out = [w for w in jieba.cut_for_search(text) if w.strip() and w not in ZH_STOPWORDS]
        chars = [c for c in text if _CJK_CHAR.match(c)]
        if self.bigrams:
            out.extend("#" + a + b for a, b in zip(chars, chars[1:], strict=False))
        if self.unigrams:
            out.extend("#" + c for c in chars if c not in ZH_STOPWORDS)
        return out


class MixedAnalyzer:
    """Chinese runs through :class:`ChineseAnalyzer`, everything else through :class:`EnglishAnalyzer`."""

    def __init__(self, *, english: EnglishAnalyzer | None = None, chinese: ChineseAnalyzer | None = None) -> None:
        self.english = english or EnglishAnalyzer()
        self.chinese = chinese or ChineseAnalyzer()

    def run(self, text: str) -> list[str]:
        out: list[str] = []
        for i, part in enumerate(_RUNS.split(text or "")):
            if not part:
                continue
            out.extend(self.chinese.run(part) if i % 2 else self.english.run(part))
        return out
