"""'Do you sell X?': answered only when the knowledge base names X, otherwise a person takes it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bizpilot.retrieval.types import Chunk, Hit
from bizpilot.services.assistant import ask
from bizpilot.services.assistant.availability import names_thing, thing_asked_for


@pytest.mark.parametrize("question,thing", [
    ("u sell cable ties?", "cable ties"),
    ("Do you stock stretch film in heavy-duty grade?", "stretch film"),
    ("Can we order sandwiches through you?", "sandwiches"),
    ("你们卖打印机吗", "打印机"),
    ("扎带有卖的没呀", "扎带"),
    # policies and services are not goods
    ("Do you offer net 30 terms?", None),
    ("Do you have a loading dock?", None),
    ("Do you ship to Norway?", None),
    ("你们有没有专属客户经理", None),
])
def test_the_thing_a_do_you_sell_question_asks_for(question: str, thing: str | None) -> None:
    assert thing_asked_for(question) == thing


def test_the_thing_must_be_named_not_one_of_its_words() -> None:
    guide = Hit(chunk=Chunk(text="Our range: cable ties in black and natural, 100 per bag. Open a ticket for help.",
                            source="ties.md"), position=0, score=1.0, rank=1)
    assert names_thing("cable ties", [guide])
    assert not names_thing("concert tickets", [guide])  # "ticket" alone is not the thing


def test_goods_the_knowledge_base_never_names_go_to_a_person(kb_session: Session) -> None:
    r = ask(session=kb_session, question="Do you sell concert tickets?")
    assert r.handoff and r.parts[0]["handoff_reason"] == "low_confidence" and r.sources == []
