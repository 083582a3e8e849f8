"""A small workspace for the recommendation tests: two industries with different baskets, regular reorders,
one inactive product, one new product nobody has bought (its text matches the drills) and a handling fee
(category "non-merchandise") on every order, which is never recommended nor proposed for reorder."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bizpilot.domain.product import NON_MERCHANDISE
from bizpilot.ingest.pipeline import import_frame
from bizpilot.services.models.jobs import run_training
from bizpilot.services.recommend.specs import RECOMMEND, REORDER

DRILLS = [f"DRL-{j}" for j in range(6)]
PAPER = [f"PAP-{j}" for j in range(6)]
FEE = "FEE-HANDLING"


def seed_recommend_workspace(engine: Engine, *, train: bool = True) -> None:
    rng = np.random.default_rng(7)
    accounts = [{"external_id": f"B{n:02d}", "name": f"Builder {n}", "industry": "construction"} for n in range(10)]
    accounts += [{"external_id": f"O{n:02d}", "name": f"Office {n}", "industry": "offices"} for n in range(10)]
    accounts.append({"external_id": "NEW", "name": "Brand New Ltd", "industry": "construction"})
    products = [{"sku": s, "name": f"Cordless power drill 18 V model {s[-1]}", "category": "Tools", "price": 99.0,
                 "currency": "EUR", "description": "A cordless drill for building sites."} for s in DRILLS]
    products += [{"sku": s, "name": f"A4 copy paper 80 gsm pack {s[-1]}", "category": "Paper", "price": 5.0,
                  "currency": "EUR", "description": "Copy paper for offices."} for s in PAPER]
    products.append({"sku": "DRL-NEW", "name": "Cordless power drill 18 V brushless", "category": "Tools",
                     "price": 149.0, "currency": "EUR", "description": "A new cordless drill for building sites."})
    products.append({"sku": "PAP-OLD", "name": "A4 copy paper 70 gsm (discontinued)", "category": "Paper",
                     "price": 4.0, "currency": "EUR", "active": False})
    products.append({"sku": FEE, "name": "Handling fee", "category": NON_MERCHANDISE, "price": 3.0,
                     "currency": "EUR"})
    lines = []
    start = datetime(2025, 1, 6, 9)
    for a in accounts[:-1]:
        basket = DRILLS if a["industry"] == "construction" else PAPER + ["PAP-OLD"]
        chosen = rng.choice(basket, size=4, replace=False)
        for k in range(6):  # an order every 30 days with the same basket: regular reorders
            when = start + timedelta(days=30 * k + int(rng.integers(0, 3)))
            for ln, sku in enumerate([*chosen, FEE]):
                lines.append({"external_id": f"{a['external_id']}-{k}", "account_external_id": a["external_id"],
                              "ordered_at": when, "sku": sku, "quantity": 1 if sku == FEE else 5,
                              "unit_price": 3.0 if sku == FEE else 10.0, "kind": "sale", "currency": "EUR",
                              "line_no": ln + 1})
    for entity, rows in (("accounts", accounts), ("products", products), ("orders", lines)):
        report = import_frame(entity, pd.DataFrame(rows), source=f"test-{entity}.csv", strict=True, engine=engine)
        assert not report.rejected, (entity, report.rejected)
    if train:
        train_recommend_models(engine)


def train_recommend_models(engine: Engine) -> None:
    """Train the recommender (hashed text features: no embedding model to load) and the reorder cycles now."""
    for spec, params in ((RECOMMEND, {"text_model": "hash"}), (REORDER, None)):
        outcome = run_training(spec, engine=engine, trigger="test", params=params)
        assert outcome.status == "finished", outcome
