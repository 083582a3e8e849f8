"""Market insight services on a real SQLite workspace: the competitor list (file in the workspace, validation),
mentions with share of voice and sentiment by month, brand-like name suggestions, the topics model trained by the
registry (outputs with quotes and members), and the period overview with movers and a summary of its numbers."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.domain import Account, Interaction, Product
from bizpilot.errors import InvalidParameter, NotFoundError, ValidationFailed
from bizpilot.services.insights.competitors import (
    Competitor,
    MentionFinder,
    brand_candidates,
    brand_suggestions,
    competitor_mentions,
    load_competitors,
    remove_competitor,
    set_competitor,
)
from bizpilot.services.insights.overview import insights, summary
from bizpilot.services.insights.specs import TOPICS
from bizpilot.services.models.outputs import read_outputs
from bizpilot.services.models.training import train_model
from tests.ml.text.test_topics import EN


def test_the_competitor_list_lives_in_the_workspace(workspace: Path) -> None:
    assert load_competitors() == []
    set_competitor("Acme", ["ACME Corp", "艾克美"])
    set_competitor("Globex", [])
    set_competitor("Acme", ["艾克美"])  # replaced, not duplicated
    assert load_competitors() == [Competitor("Globex"), Competitor("Acme", ("艾克美",))]
    data = json.loads((workspace / "competitors.json").read_text(encoding="utf-8"))
    assert data == {"competitors": [{"name": "Globex", "aliases": []}, {"name": "Acme", "aliases": ["艾克美"]}]}
    with pytest.raises(ValidationFailed, match="already names 'Acme'"):
        set_competitor("Initech", ["acme"])
    remove_competitor("globex")
    assert [c.name for c in load_competitors()] == ["Acme"]
    with pytest.raises(NotFoundError):
        remove_competitor("Globex")


def test_mentions_match_latin_words_and_chinese_anywhere() -> None:
    finder = MentionFinder([Competitor("Acme", ("艾克美",)), Competitor("Globex")])
    assert finder.find("We compared with ACME's price") == ["Acme"]
    assert finder.find("Acmelite is another thing") == []
    assert finder.find("比艾克美便宜，globex也不错") == ["Acme", "Globex"]
    assert finder.find(None) == []


def _add(session: Session, ext: str, text: str, when: datetime, sentiment: str | None = None,
         account_id: int | None = None) -> None:
    session.add(Interaction(external_id=ext, channel="review", direction="inbound", text=text, occurred_at=when,
                            sentiment=sentiment, account_id=account_id))


def test_share_of_voice_and_sentiment_by_month(engine: Engine) -> None:
    with Session(engine) as session:
        _add(session, "m1", "Acme quoted a lower price", datetime(2024, 1, 5), "negative")
        _add(session, "m2", "艾克美的交货更快", datetime(2024, 1, 20), "positive")
        _add(session, "m3", "Globex called us again", datetime(2024, 2, 3), "neutral")
        _add(session, "m4", "Acme and Globex both bid", datetime(2024, 2, 9), "negative")
        _add(session, "m5", "No competitor here", datetime(2024, 2, 10), "positive")
        session.commit()
        result = competitor_mentions(session=session, competitors=[Competitor("Acme", ("艾克美",)),
                                                                    Competitor("Globex")])
    assert result["mentions"] == 5 and result["mentioning_interactions"] == 4 and result["interactions"] == 5
    acme, globex = result["competitors"]
    assert (acme["name"], acme["mentions"], acme["share_of_voice"]) == ("Acme", 3, 0.6)
    assert acme["negative_share"] == pytest.approx(2 / 3, abs=1e-4) and globex["share_of_voice"] == 0.4
    assert [m["month"] for m in result["months"]] == ["2024-01", "2024-02"]
    assert result["months"][0]["counts"] == {"Acme": 2} and result["months"][1]["share_of_voice"] == {
        "Globex": 0.6667, "Acme": 0.3333}
    assert acme["examples"][0]["interaction_id"] and acme["examples"][0]["occurred_at"] == "2024-01-05"


def test_unknown_brand_like_names_are_suggested() -> None:
    texts = ["这个比Haier的好用", "Haier的售后差", "买了haier热水器", "对比了Midea和Haier",
             "We switched from Whirlpool last year", "Whirlpool was cheaper", "the whirlpool bath",
             "Thanks. Our team liked it", "Whirlpool support is slow"]
    out = brand_candidates(texts, known={"midea"}, min_interactions=3)
    assert out == [{"name": "Haier", "interactions": 4}, {"name": "Whirlpool", "interactions": 3}]
    assert brand_candidates(texts, known={"haier", "whirlpool"}, min_interactions=3) == []


def test_words_written_in_lower_case_as_often_are_not_brands() -> None:
    texts = ["Thanks, Great service again", "Quote: Great price", "Re: Great delivery", "great work", "a great team",
             "so great", "Also Bosch was slower", "compared to Bosch", "Bosch quoted less", "the bosch drill"]
    assert brand_candidates(texts, min_interactions=3) == [{"name": "Bosch", "interactions": 3}]


def test_the_teams_own_names_are_not_suggested_and_one_account_is_not_enough(engine: Engine) -> None:
    with Session(engine) as session:
        first, second = Account(external_id="A1", name="Acme Buyer"), Account(external_id="A2", name="Borg Works")
        session.add_all([first, second, Product(sku="HN-8", name="Hex Nut M8 zinc")])
        session.flush()
        texts = [(first, "Please resend the Hex Nut order, Makita was faster and Borg liked Tanaka"),
                 (first, "the Hex Nut box was short, Makita never is, nor Tanaka"),
                 (second, "Need 20 more Hex Nut, Makita too, says Tanaka")]
        for i, (account, text) in enumerate(texts):
            session.add(Interaction(external_id=f"E{i}", account_id=account.id, channel="email",
                                    direction="inbound", text=text, occurred_at=datetime(2024, 1, 5 + i)))
        session.commit()
        assert brand_suggestions(session=session, competitors=[]) == [{"name": "Makita", "interactions": 3},
                                                                      {"name": "Tanaka", "interactions": 3}]
        # Tanaka's three mentions come from two accounts: with three accounts asked for, nothing is left
        assert brand_suggestions(session=session, competitors=[], min_accounts=3) == []


def test_brand_names_are_found_and_words_opening_sentences_are_not() -> None:
    """Ordinary words open sentences, subjects and headline-style lines in every message; brands stand
    capitalised mid-sentence (or with digits, or accents) whatever the message."""
    texts = ["Great service. We used to buy from Würth, but Grainger was cheaper.",
             "Excellent quality.\nLead times were better than Fastenal and 3M tape held.",
             "Customer Service Was Slow Again\nOur site moved to Grainger for gloves.",
             "Pricing: could you match Fastenal? Lead times matter. Great job on the 3M order.",
             "Re: Excellent delivery\nWürth quoted less than you; the 3M film is fine.",
             "Lead times slipped. Customer service at Grainger answers faster; Würth too.",
             "Great! The lead time on Fastenal stock is a week. Excellent pricing though, customer happy.",
             "Monday we meet Grainger about pricing; great people.",
             "请提供安全技术说明书（SDS）", "需要SDS和合格证", "SDS已收到"]
    names = {r["name"]: r["interactions"] for r in brand_candidates(texts, min_interactions=3)}
    assert names == {"Grainger": 4, "Fastenal": 3, "3M": 3, "Würth": 3}  # no SDS: a safety data sheet
    # an abbreviation given in brackets after its words is no name; the same letters standing alone are
    glossed = ["请提供检测报告（QTR）", "检测报告（QTR）已收到", "附上检测报告(QTR)"]
    assert brand_candidates(glossed, min_interactions=3) == []
    assert brand_candidates(["比QTR便宜", "QTR的交期", "和QTR对比"], min_interactions=3) == [
        {"name": "QTR", "interactions": 3}]


def _seed_topics(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        account = Account(external_id="A1", name="Acme Buyer")
        session.add(account)
        session.flush()
        n = 0
        for month in (1, 2):
            for group, texts in EN.items():
                for text in texts:
                    # February has twice the delivery complaints: that topic moves up
                    for _ in range(2 if (month == 2 and group == "delivery") else 1):
                        n += 1
                        _add(session, f"t{n}", text, datetime(2024, month, 5 + n % 20),
                             "negative" if group != "invoice" else "neutral", account.id)
        session.commit()
        return {"account": account.id, "n": n}


def test_the_topics_model_stores_topics_with_quotes_and_members(engine: Engine) -> None:
    seeded = _seed_topics(engine)
    with Session(engine) as session:
        outcome = train_model(TOPICS, session=session, trigger="test", as_of=datetime(2024, 3, 1),
                              params={"n_topics": 3, "tfidf_weight": 0.7})
        session.commit()
        assert outcome.status == "finished"
        rows = read_outputs(session=session, model="topics", subject="topic", order="-score")
    assert len(rows) == 3 and sum(r.payload["size"] for r in rows) == seeded["n"]
    top = rows[0].payload
    assert "delivery" in top["keywords"][:5] or "parcel" in top["keywords"][:5]
    assert top["size"] == 12 and top["negative_share"] == 1.0
    assert len(top["quotes"]) == 3 and top["quotes"][0]["account_id"] == seeded["account"]
    assert all(len(m) == 3 for m in top["members"])


def test_the_overview_counts_the_period_finds_movers_and_states_its_numbers(engine: Engine) -> None:
    _seed_topics(engine)
    with Session(engine) as session:
        train_model(TOPICS, session=session, trigger="test", as_of=datetime(2024, 3, 1),
                    params={"n_topics": 3, "tfidf_weight": 0.7})
        session.commit()
        data = insights(session=session, start=date(2024, 2, 1), end=date(2024, 2, 29))
    key = data["key"]
    assert (key["interactions"], key["previous_interactions"]) == (16, 12)
    assert key["negative_share"] == 0.75 and data["previous"] == {"from": "2024-01-03", "to": "2024-01-31"}
    assert data["topics"][0]["count"] == 8 and data["topics"][0]["share"] == 0.5
    mover = data["movers"][0]
    assert mover["label"] == data["topics"][0]["label"] and mover["change"] > 0
    en = " ".join(data["summary"]["en"])
    assert "16 customer interactions" in en and "75.0%" in en and "50.0%" in en
    assert "16 条客户互动" in " ".join(data["summary"]["zh"])
    assert [t["month"] for t in data["trend"]] == ["2024-02"] and data["trend"][0]["negative"] == 12
    with pytest.raises(InvalidParameter):
        insights(session=session, start=date(2024, 2, 1), end=date(2024, 1, 1))


def test_the_summary_only_states_numbers_it_was_given() -> None:
    data = {"from": "2024-02-01", "to": "2024-02-29", "key": {"interactions": 7, "previous_interactions": 3,
            "negative_share": 0.25, "previous_negative_share": None}, "topics": [], "movers": [],
            "competitors": {"competitors": [], "mentions": 0}}
    assert summary(data) == ["2024-02-01 to 2024-02-29: 7 customer interactions (3 in the previous period).",
                             "Negative share 25.0% (previous period n/a)."]


def test_subject_and_text_read_as_two_sentences() -> None:
    from bizpilot.services.insights.texts import message_text

    assert message_text("Excellent quality", "Great service.") == "Excellent quality. Great service."
    assert message_text("投诉：订单SO-1", "不值这个价。") == "投诉：订单SO-1。不值这个价。"
    assert message_text("Re: thanks!", "All good.") == "Re: thanks! All good."
    assert (message_text(None, "Only text."), message_text("Only subject", "  ")) == ("Only text.", "Only subject")
