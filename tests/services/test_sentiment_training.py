"""The workspace sentiment model adapts to the workspace's own (unlabelled) messages."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.domain import Interaction
from bizpilot.errors import InsufficientData
from bizpilot.ml.text.sentiment import SentimentClassifier
from bizpilot.services.signals.training import train_sentiment, workspace_texts

AS_OF = datetime(2024, 6, 1)
LABELLED = [("great product, works perfectly", 1), ("excellent quality and fast delivery", 1),
            ("love it, highly recommend", 1), ("very happy with this purchase", 1),
            ("terrible, broke after one day", 0), ("waste of money, very poor", 0),
            ("awful quality, do not buy", 0), ("disappointed, it stopped working", 0)]
ROOMS = ["suite", "room", "lobby", "bathroom", "studio"]


def _messages(engine: Engine, n: int) -> None:
    """Hotel messages: 'spacious' rides with praise, 'cramped' with complaints; words the labels never show."""
    with Session(engine) as session:
        for i in range(n):
            room = ROOMS[i % len(ROOMS)]
            text = (f"the {room} was spacious, great stay {i}" if i % 2 == 0 else
                    f"the {room} was cramped, awful stay {i}")
            session.add(Interaction(external_id=f"m{i}", channel="review", direction="inbound", text=text,
                                    occurred_at=datetime(2024, 5, 1 + i % 28)))
        session.add(Interaction(external_id="out", channel="email", direction="outbound",
                                text="thanks for your message", occurred_at=datetime(2024, 5, 2)))
        session.commit()


def _train(engine: Engine, **params: object) -> object:
    with Session(engine) as session:
        return train_sentiment(session=session, as_of=AS_OF, progress=lambda _share: None, embedder="none",
                               **params)


def test_labelled_model_learns_the_domain_words_from_the_messages(engine: Engine) -> None:
    _messages(engine, 60)
    texts, labels = [list(x) for x in zip(*LABELLED, strict=True)]
    trained = _train(engine, texts=texts, labels=labels, adapt=True)
    assert trained.metrics["adapted_to_messages"] is True
    assert trained.metrics["n_labelled"] == 8 and 0 < trained.metrics["n_pseudo_labelled"] <= 60
    probe = ["a spacious suite", "a cramped suite"]
    adapted = trained.model.score(probe)
    assert adapted[0] > 0 > adapted[1]
    plain = SentimentClassifier(embedder="none").fit(texts, labels).score(probe)
    assert abs(plain[0] - plain[1]) < adapted[0] - adapted[1]
    unadapted = _train(engine, texts=texts, labels=labels)  # adapting is asked for, not the default
    assert unadapted.metrics["n_pseudo_labelled"] == 0 and unadapted.metrics["adapted_to_messages"] is False


def test_workspace_texts_are_inbound_distinct_and_not_after_as_of(engine: Engine) -> None:
    _messages(engine, 45)
    with Session(engine) as session:
        texts = workspace_texts(session=session, as_of=AS_OF)
        assert len(texts) == 45 and "thanks for your message" not in texts
        assert workspace_texts(session=session, as_of=datetime(2024, 4, 1)) == []


def test_without_labels_or_messages_there_is_nothing_to_learn(engine: Engine) -> None:
    _messages(engine, 10)
    with pytest.raises(InsufficientData, match="no labelled messages"):
        _train(engine, adapt=True)
