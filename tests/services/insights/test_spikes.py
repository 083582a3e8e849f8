"""Sudden spikes: the Poisson-tail test on weekly counts (steady series, a burst, too little history, a level
shift), weeks from days, and the topics model storing each topic's and all messages' weekly series with the spike's
week quotes, which the period overview reads, states in its checked summary and filters to the period."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.domain import Account
from bizpilot.services.insights.overview import insights
from bizpilot.services.insights.specs import TOPICS
from bizpilot.services.insights.spikes import detect_spikes, spikes_in, week_start, weekly_counts
from bizpilot.services.models.outputs import read_outputs
from bizpilot.services.models.training import train_model
from tests.ml.text.test_topics import EN
from tests.services.insights.test_insights import _add


def test_a_burst_over_a_steady_rate_is_a_spike_and_noise_is_not() -> None:
    steady = [2, 3, 2, 1, 2, 3, 2, 1, 2, 2]
    assert detect_spikes(steady) == []
    assert detect_spikes([*steady, 4]) == []  # twice the rate, but a Poisson(2) gives 4 often enough
    (spike,) = detect_spikes([*steady, 10])
    assert (spike["index"], spike["count"], spike["expected"]) == (10, 10, 1.88)  # the mean of the 8 weeks before
    assert spike["p_value"] < 0.001
    assert detect_spikes([1, 1, 1, 1, 12]) == []  # four weeks are too little history to call anything a spike
    assert detect_spikes([0] * 10 + [2]) == []  # fewer than three messages is never a spike
    assert detect_spikes([0] * 10 + [4]) == []  # silent weeks count at the floor rate 0.5: P(X >= 4) = 0.0018
    assert [s["index"] for s in detect_spikes([0] * 10 + [5])] == [10]  # P(X >= 5) = 0.00017


def test_a_level_shift_is_flagged_while_the_baseline_is_the_old_level() -> None:
    flagged = [s["index"] for s in detect_spikes([2] * 8 + [12] * 12)]
    assert flagged[0] == 8 and len(flagged) == 8  # the window forgets the old level after eight weeks


def test_weeks_start_on_monday() -> None:
    assert week_start(date(2024, 2, 11)) == date(2024, 2, 5)
    days = [date(2024, 2, 5), date(2024, 2, 11), date(2024, 2, 12), date(2024, 2, 27)]
    assert weekly_counts(days, date(2024, 2, 6), date(2024, 2, 26)) == [2, 1, 0, 1]


def _seed_burst(engine: Engine) -> dict[str, int]:
    """Twelve weeks of one message per group every week, then a week of delivery complaints."""
    with Session(engine) as session:
        account = Account(external_id="A1", name="Buyer")
        session.add(account)
        session.flush()
        n = 0
        monday = datetime(2024, 1, 1, 9)
        for week in range(13):
            for group, texts in EN.items():
                burst = group == "delivery" and week == 12
                for i in range(8 if burst else 1):
                    n += 1
                    _add(session, f"b{n}", texts[(week + i) % 4], monday + timedelta(weeks=week, hours=i),
                         "negative", account.id)
        session.commit()
        return {"account": account.id, "n": n}


def test_the_topics_model_stores_weekly_series_with_the_spike_and_its_quotes(engine: Engine) -> None:
    _seed_burst(engine)
    with Session(engine) as session:
        outcome = train_model(TOPICS, session=session, trigger="test", as_of=datetime(2024, 4, 1),
                              params={"n_topics": 3, "tfidf_weight": 1.0, "llm_labels": False})
        session.commit()
        assert outcome.status == "finished"
        stored = [r.payload for r in read_outputs(session=session, model="topics", subject="series")]
        data = insights(session=session, start=date(2024, 3, 18), end=date(2024, 3, 31))
    by_kind = {(s["kind"], s["key"]) for s in stored}
    assert by_kind == {("all", "all"), ("topic", 0), ("topic", 1), ("topic", 2)}
    delivery = next(s for s in stored if s["kind"] == "topic" and s["spikes"])
    assert delivery["start"] == "2024-01-01" and len(delivery["counts"]) == 13 and delivery["counts"][-1] == 8
    (spike,) = delivery["spikes"]
    assert (spike["week"], spike["count"], spike["expected"]) == ("2024-03-25", 8, 1.0)
    assert len(spike["quotes"]) == 3 and all("2024-03-25" <= q["occurred_at"] < "2024-04-01"
                                             for q in spike["quotes"])
    assert all(("parcel" in q["text"] or "deliver" in q["text"] or "courier" in q["text"]) for q in spike["quotes"])
    assert [s for s in stored if s["kind"] == "topic" and s is not delivery and s["spikes"]] == []

    found = {(s["kind"], s["week"]) for s in data["spikes"]}
    assert ("topic", "2024-03-25") in found
    topic_spike = next(s for s in data["spikes"] if s["kind"] == "topic")
    assert topic_spike["weeks"][-1] == {"week": "2024-03-25", "count": 8} and len(topic_spike["weeks"]) == 10
    assert any(line.startswith("Spike: ") and "2024-03-25" in line for line in data["summary"]["en"])
    assert any(line.startswith("突增：") for line in data["summary"]["zh"])
    assert data["summary_check"]["en"]["dropped"] == []


def test_a_listed_competitor_gets_its_own_series(engine: Engine) -> None:
    from bizpilot.services.insights.competitors import set_competitor

    _seed_burst(engine)
    set_competitor("Courier", [])  # named in the delivery texts, so in the burst week too
    with Session(engine) as session:
        train_model(TOPICS, session=session, trigger="test", as_of=datetime(2024, 4, 1),
                    params={"n_topics": 3, "tfidf_weight": 1.0, "llm_labels": False})
        session.commit()
        stored = [r.payload for r in read_outputs(session=session, model="topics", subject="series")]
    (comp,) = [s for s in stored if s["kind"] == "competitor"]
    assert comp["key"] == "Courier" and sum(comp["counts"]) == sum(
        1 for week in range(13) for i in range(8 if week == 12 else 1) if "courier" in EN["delivery"][(week + i) % 4])
    assert [s["week"] for s in comp["spikes"]] == ["2024-03-25"]


def test_only_the_spikes_of_the_period_are_shown() -> None:
    stored = [{"kind": "topic", "key": 0, "label": "delivery", "start": "2024-01-01", "counts": [1] * 12,
               "spikes": [{"week": "2024-02-05", "count": 9, "expected": 1.0, "p_value": 1e-6, "quotes": []},
                          {"week": "2024-03-18", "count": 5, "expected": 1.0, "p_value": 1e-3, "quotes": []}]}]
    assert [s["week"] for s in spikes_in(stored, date(2024, 2, 1), date(2024, 2, 29))] == ["2024-02-05"]
    assert [s["week"] for s in spikes_in(stored, date(2024, 1, 1), date(2024, 3, 31))] == ["2024-02-05",
                                                                                         "2024-03-18"]
    assert spikes_in(stored, date(2024, 4, 1), date(2024, 4, 30)) == []
