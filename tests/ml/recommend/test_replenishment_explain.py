"""Purchase cycles and due dates; reasons; cold start through product text; eval-format readers."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bizpilot.errors import ValidationFailed
from bizpilot.ml.recommend.coldstart import HybridRecommender, product_text
from bizpilot.ml.recommend.data import read_interactions, read_ratings_csv
from bizpilot.ml.recommend.explain import explain
from bizpilot.ml.recommend.implicit import EASERecommender
from bizpilot.ml.recommend.replenishment import purchase_cycles
from tests.retrieval.kb_sample import embed_cache  # noqa: F401  (fixture: embeddings outside the repository)


def test_purchase_cycles_by_hand() -> None:
    days = pd.to_datetime(["2024-01-01", "2024-01-31", "2024-03-01", "2024-03-31",  # A/x every 30 days
                           "2024-01-01", "2024-01-01",  # A/y twice the same day: one purchase day only
                           "2024-02-01", "2024-02-11", "2024-02-21"])  # B/x every 10 days
    acc = np.array(["A"] * 6 + ["B"] * 3)
    prod = np.array(["x"] * 4 + ["y"] * 2 + ["x"] * 3)
    out = purchase_cycles(acc, prod, days.to_numpy(), as_of=pd.Timestamp("2024-05-04"))
    assert len(out) == 2
    a = out[out.account == "A"].iloc[0]
    assert a.cycle_days == pytest.approx(30.0, abs=0.5) and a.n_orders == 4
    assert a.days_since_last == 34 and a.status == "overdue" and a.regularity > 0.9
    assert a.due_date == pd.Timestamp("2024-04-30")
    b = out[out.account == "B"].iloc[0]
    assert b.cycle_days == 10 and b.status == "lapsed" and b.due_in_days == pytest.approx(-63)  # 7 cycles ago
    assert purchase_cycles(acc, prod, days.to_numpy(), as_of=pd.Timestamp("2024-03-10")).iloc[0].status == "overdue"
    upcoming = purchase_cycles(acc, prod, days.to_numpy(), as_of=pd.Timestamp("2024-04-10"))
    assert upcoming[upcoming.account == "A"].iloc[0].status == "upcoming"
    assert purchase_cycles(acc[:2], prod[:2], days[:2].to_numpy()).empty


def test_reasons_name_the_peer_share_the_anchor_or_popularity() -> None:
    users = ["a1", "a1", "a2", "a2", "a3", "a3", "a4", "b1", "b1"]
    items = ["x", "y", "x", "z", "x", "z", "x", "w", "v"]
    model = EASERecommender(reg=1.0).fit(users, items)
    reasons = explain(model, user_id="a1", item_ids=["z", "w"], history=["x", "y"], peers=["a2", "a3", "a4"],
                      industry="retail", names={"z": "Zinc bolts"})
    assert reasons[0]["kind"] == "peers" and reasons[0]["text"].startswith("67% of accounts like yours in retail")
    assert "Zinc bolts" in reasons[0]["text"]
    assert reasons[1]["kind"] == "popular"  # nobody like a1 bought w, and w is never bought with x or y
    zh = explain(model, user_id="a1", item_ids=["z"], history=["x"], peers=[], industry=None, lang="zh")
    assert zh[0]["kind"] == "bought_with" and "一起购买" in zh[0]["text"]


def test_a_new_product_is_recommended_and_has_neighbours_through_its_text() -> None:
    rng = np.random.default_rng(0)
    users, items = [], []
    for u in range(30):
        family = "drill" if u < 15 else "paper"
        for j in rng.choice(6, size=4, replace=False):
            users.append(u)
            items.append(f"{family}-{j}")
    catalogue = {f"drill-{j}": f"cordless power drill 18 V model {j}" for j in range(6)}
    catalogue |= {f"paper-{j}": f"A4 copy paper 80 gsm ream pack {j}" for j in range(6)}
    catalogue["drill-new"] = "cordless power drill 18 V brushless"
    model = HybridRecommender(text_model="hash", content_weight=0.6).fit(users, items, catalogue=catalogue)
    assert bool(model.cold_items_[model.item_index(["drill-new"])[0]])
    similar = model.similar_items(["drill-new"], n=3).ids[0].tolist()
    assert all(s.startswith("drill") for s in similar)
    sparse_account = model.recommend_for_history(["drill-1"], n=6).ids[0].tolist()
    assert "drill-new" in sparse_account and not any(s.startswith("paper") for s in sparse_account[:4])
    assert product_text("Mug", "Kitchen", {"colour": "red"}, "A mug. It holds tea.") == \
        "Mug. Kitchen. colour: red. A mug"


def test_embed_texts_with_the_pretrained_model_puts_translations_close(embed_cache: Path) -> None:  # noqa: F811
    from bizpilot.ml.recommend.coldstart import embed_texts

    vec = embed_texts(["red ceramic coffee mug", "红色陶瓷咖啡杯", "industrial hydraulic pump"])
    assert vec.shape[0] == 3 and np.allclose(np.linalg.norm(vec, axis=1), 1, atol=1e-4)
    assert vec[0] @ vec[1] > vec[0] @ vec[2]


def test_csv_reader_takes_gzip_and_names_bad_lines(tmp_path: Path) -> None:
    good = tmp_path / "r.csv.gz"
    good.write_bytes(gzip.compress(b"user_id,item_id,rating\n1,10,4\n2,10,5\nu3,i11,3.5\n"))
    data = read_ratings_csv(good)
    assert len(data) == 3 and data.values.tolist() == [4, 5, 3.5] and data.users.dtype.kind == "U"
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,item_id,rating\n1,10,4\n2,10,five\n")
    with pytest.raises(ValidationFailed, match=r"line 3, column 'rating'"):
        read_ratings_csv(bad)
    missing = tmp_path / "missing.csv"
    missing.write_text("user,item_id,rating\n1,2,3\n")
    with pytest.raises(ValidationFailed, match="user_id"):
        read_ratings_csv(missing)
    with pytest.raises(ValidationFailed, match="unsupported --format"):
        read_interactions(good, "parquet-ratings")


def test_online_retail_reader_keeps_customer_sale_lines(tmp_path: Path) -> None:
    path = tmp_path / "retail.csv"
    path.write_text("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                    "1,A,x,2,2011-01-01 10:00:00,1.0,17850,UK\n"
                    "2,A,x,1,2011-01-05 10:00:00,1.0,17850,UK\n"
                    "C3,A,x,-1,2011-01-06 10:00:00,1.0,17850,UK\n"
                    "4,B,y,1,2011-01-06 10:00:00,1.0,,UK\n"
                    "5,b,y,3,2011-01-07 10:00:00,1.0,12000,UK\n")
    data = read_interactions(path, "online-retail")
    pairs = sorted(zip(data.users.tolist(), data.items.tolist(), data.values.tolist(), strict=True))
    assert pairs == [(12000, "B", 1.0), (17850, "A", 2.0)] and not data.explicit


def test_catalogue_ids_of_another_type_are_merged_not_duplicated() -> None:
    model = HybridRecommender(text_model="hash").fit([1, 1, 2, 2], [7, 8, 7, 9],
                                                      catalogue={7: "a", 8: "b", 9: "c", "X1": "new"})
    assert model.item_ids_.tolist() == ["7", "8", "9", "X1"] and model.cold_items_.tolist() == [0, 0, 0, 1]
    assert model.recommend([1], 2).ids[0].tolist() == ["9", "X1"]
