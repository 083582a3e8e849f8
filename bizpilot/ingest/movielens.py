"""Adapter for MovieLens (ml-100k layout): users become accounts, movies products, ratings review interactions.

It lets the recommendation code train and be evaluated on a public explicit-feedback set through the same
tables as a real workspace. Accepts the ml-100k folder or its ``u.data`` file (``u.item``/``u.user`` are read
from the same folder when present).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bizpilot.db.engine import get_engine
from bizpilot.domain import Account, Interaction, Product
from bizpilot.errors import ValidationFailed
from bizpilot.ingest.report import ImportReport
from bizpilot.ingest.writer import Progress, TableWrite, key_to_id, upsert

GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
          "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western")


def read_ratings(path: Path) -> pd.DataFrame:
    """``user_id<TAB>item_id<TAB>rating<TAB>unix_ts``; raises a clear error naming the first bad line."""
    df = pd.read_csv(path, sep="\t", header=None, names=["user_id", "item_id", "rating", "ts"], dtype=str)
    typed = df.apply(pd.to_numeric, errors="coerce")
    bad = typed.isna().any(axis=1) | ~typed["rating"].between(0.5, 5)
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise ValidationFailed(f"{path.name} line {line}: expected user, item, rating 0.5-5 and timestamp",
                               details=[{"row": line, "field": "rating", "reason": "bad value"}])
    return typed.astype({"user_id": int, "item_id": int, "ts": int})


def _items(folder: Path, item_ids: np.ndarray) -> pd.DataFrame:
    path = folder / "u.item"
    products = pd.DataFrame({"item_id": np.sort(item_ids)})
    if path.exists():
        cols = ["item_id", "title", "release_date", "video_release", "imdb_url", *GENRES]
        items = pd.read_csv(path, sep="|", header=None, names=cols, encoding="latin-1", dtype=str)
        items["item_id"] = items["item_id"].astype(int)
        products = products.merge(items, on="item_id", how="left")
    else:
        products["title"] = None
    products["sku"] = "ml-i" + products["item_id"].astype(str)
    products["name"] = products["title"].fillna("Movie " + products["item_id"].astype(str)).astype(object)
    genre_lists = [[g for g in GENRES if str(row.get(g, "0")) == "1"] for row in products.to_dict("records")]
    products["category"] = [g[0] if g else None for g in genre_lists]
    products["attributes"] = [
        {k: v for k, v in {"genres": g, "release_date": row.get("release_date"),
                           "imdb_url": row.get("imdb_url")}.items() if v is not None and v == v and v != []}
        for g, row in zip(genre_lists, products.to_dict("records"), strict=True)]
    return products[["sku", "name", "category", "attributes"]]


def _users(folder: Path, user_ids: np.ndarray) -> pd.DataFrame:
    path = folder / "u.user"
    accounts = pd.DataFrame({"user_id": np.sort(user_ids)})
    if path.exists():
        users = pd.read_csv(path, sep="|", header=None, names=["user_id", "age", "gender", "occupation", "zip"],
                            dtype=str)
        users["user_id"] = users["user_id"].astype(int)
        accounts = accounts.merge(users, on="user_id", how="left")
    else:
        accounts["occupation"] = None
    accounts["external_id"] = "ml-u" + accounts["user_id"].astype(str)
    accounts["name"] = "MovieLens user " + accounts["user_id"].astype(str)
    accounts["industry"] = accounts["occupation"].astype(object).where(accounts["occupation"].notna(), None)
    accounts["language"] = "en"
    return accounts[["external_id", "name", "industry", "language"]]


def import_movielens(path: str | Path, *, engine: Engine | None = None,
                     progress: Progress | None = None) -> ImportReport:
    started = time.perf_counter()
    engine = engine or get_engine()
    path = Path(path)
    folder, ratings_path = (path, path / "u.data") if path.is_dir() else (path.parent, path)
    if not ratings_path.exists():
        raise ValidationFailed(f"no ratings file at {ratings_path} (expected the ml-100k folder or its u.data)")
    ratings = read_ratings(ratings_path)
    report = ImportReport(entity="movielens", source=str(path), rows_read=len(ratings))
    interactions = pd.DataFrame({
        "external_id": "ml-r" + ratings["user_id"].astype(str) + "-" + ratings["item_id"].astype(str),
        "channel": "review", "direction": "inbound",
        "rating": ratings["rating"].astype(float),
        "occurred_at": pd.to_datetime(ratings["ts"], unit="s"),
        "account_key": "ml-u" + ratings["user_id"].astype(str),
        "product_key": "ml-i" + ratings["item_id"].astype(str),
    })
    dup = interactions.duplicated("external_id", keep="last")
    report.duplicates_in_file = int(dup.sum())
    interactions = interactions[~dup]
    with engine.begin() as conn:
        report.tables["accounts"] = upsert(conn, TableWrite(
            Account, ("external_id",), _users(folder, ratings["user_id"].unique())), progress=progress).as_dict()
        report.tables["products"] = upsert(conn, TableWrite(
            Product, ("sku",), _items(folder, ratings["item_id"].unique()), ("attributes",)),
            progress=progress).as_dict()
        accounts, products = key_to_id(conn, Account, "external_id"), key_to_id(conn, Product, "sku")
        interactions = interactions.assign(account_id=interactions.pop("account_key").map(accounts),
                                           product_id=interactions.pop("product_key").map(products))
        report.tables["interactions"] = upsert(conn, TableWrite(Interaction, ("external_id",), interactions),
                                               progress=progress).as_dict()
    report.seconds = time.perf_counter() - started
    return report
