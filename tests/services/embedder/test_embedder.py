"""The workspace embedding model: the adapter's learning and file, pair files, the embedding service picking it
up (and falling back visibly), `bizpilot train embedder --pairs` and `eval retrieval --train-pairs`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bizpilot.cli.main import app
from bizpilot.config import get_settings
from bizpilot.domain.model_run import ModelRun
from bizpilot.errors import ValidationFailed
from bizpilot.ml.text.adapter import EmbeddingAdapter, pair_groups
from bizpilot.retrieval.embedders import AdaptedEmbedder, FallbackEmbedder, get_embedder
from bizpilot.services.embedder.pairs import group_split, read_pairs

runner = CliRunner()
TOPICS = ["refund", "invoice", "shipping", "password", "discount", "warranty", "tracking", "bulk order"]
FORMS = ["how do I get a {}", "question about my {}", "help with {} please", "{} problem"]


def _synthetic(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Texts as vectors: a topic direction buried under a shared nuisance direction that dominates the cosine,
    pairs within a topic; a linear map that drops the nuisance makes the pairs findable."""
    rng = np.random.default_rng(seed)
    n_topics, per, d = 30, 4, 16
    topic = rng.normal(size=(n_topics, d))
    X = np.repeat(topic, per, axis=0) * 0.3 + rng.normal(size=(n_topics * per, d)) * 0.2
    X[:, 0] += rng.normal(size=n_topics * per) * 3.0
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    pairs = np.array([(t * per + i, t * per + j) for t in range(n_topics)
                      for i in range(per) for j in range(i + 1, per)])
    negatives = np.array([(t * per, ((t + 1) % n_topics) * per) for t in range(n_topics)])
    return X.astype(np.float32), pairs, negatives


def _recall_at_1(X: np.ndarray, pairs: np.ndarray) -> float:
    S = X @ X.T
    np.fill_diagonal(S, -np.inf)
    return float(np.mean(S[pairs[:, 0]].argmax(axis=1) // 4 == pairs[:, 1] // 4))


def test_the_adapter_learns_what_pairs_share_and_its_gradient_is_right() -> None:
    X, pairs, negatives = _synthetic()
    train, test = pairs[pairs[:, 0] < 80], pairs[pairs[:, 0] >= 80]  # held-out topics never trained on
    model = EmbeddingAdapter(base="minilm", epochs=30, batch_size=32, learning_rate=0.01).fit(X, train, negatives)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    assert _recall_at_1(model.transform(X), test) > _recall_at_1(X, test) + 0.2
    # the hand-written gradient against central differences
    W = np.eye(X.shape[1]) + np.random.default_rng(1).normal(size=(X.shape[1],) * 2) * 0.05
    groups = pair_groups(len(X), pairs)
    _, grad = model._loss_grad(W, X, train[:8, 0], train[:8, 1], groups)
    eps, (i, j) = 1e-5, (2, 3)
    up, down = W.copy(), W.copy()
    up[i, j] += eps
    down[i, j] -= eps
    numeric = (model._loss_grad(up, X, train[:8, 0], train[:8, 1], groups)[0]
               - model._loss_grad(down, X, train[:8, 0], train[:8, 1], groups)[0]) / (2 * eps)
    assert grad[i, j] == pytest.approx(numeric, rel=1e-3, abs=1e-6)


def test_the_adapter_file_round_trips(tmp_path: Path) -> None:
    X, pairs, negatives = _synthetic()
    model = EmbeddingAdapter(base="e5", epochs=2).fit(X, pairs, negatives)
    loaded = EmbeddingAdapter.load(model.save(tmp_path / "embedder.npz"))
    assert loaded.base_ == "e5" and loaded.n_pairs_ == len(pairs) and loaded.n_hard_ == len(negatives)
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))


def test_pair_files_in_each_format(tmp_path: Path) -> None:
    atec = tmp_path / "atec.csv"
    atec.write_text("1\t怎么更改花呗手机号码\t花呗手机号怎么改\t1\n2\t花呗冻结以后还能开通吗\t借呗怎么开通\t0\n",
                    encoding="utf-8")
    got = read_pairs(atec)
    assert got.pairs == [(0, 1)] and got.negatives == [(2, 3)] and len(got.texts) == 4
    triples = tmp_path / "t.csv"
    triples.write_text("query,positive,negative\nwhere is my order,track an order,reset password\n", encoding="utf-8")
    got = read_pairs(triples)
    assert got.texts == ["where is my order", "track an order", "reset password"]
    assert got.pairs == [(0, 1)] and got.negatives == [(0, 2)]
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"q1": "a b", "q2": "c d", "label": 1}\n{"q1": "a b", "q2": "e f", "label": "x"}\n',
                     encoding="utf-8")
    with pytest.raises(ValidationFailed, match="line 2, field 'label'"):
        read_pairs(jsonl)


def test_held_out_groups_are_never_trained_on(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    rows = [f"{f.format(t)},{g.format(t)},1" for t in TOPICS for f, g in zip(FORMS, FORMS[1:], strict=False)]
    rows += [f"{FORMS[0].format(t)},{FORMS[0].format(u)},0" for t, u in zip(TOPICS, TOPICS[1:], strict=False)]
    path.write_text("q1,q2,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    pair_set = read_pairs(path)
    held_pairs, held_neg = group_split(pair_set, share=0.25, seed=3)
    pairs, negatives = pair_set.arrays()
    held_texts = set(pairs[held_pairs].ravel().tolist())
    trained = set(pairs[~held_pairs].ravel().tolist()) | set(negatives[~held_neg].ravel().tolist())
    assert held_pairs.sum() == 2 * 3 and not held_texts & trained


def _write_adapter(base: str, dim: int) -> Path:
    X = np.random.default_rng(0).normal(size=(12, dim)).astype(np.float32)
    model = EmbeddingAdapter(base=base, epochs=1).fit(X, np.array([[0, 1], [2, 3], [4, 5]]))
    return model.save(get_settings().models_dir / "embedder.npz")


def test_the_embedding_service_applies_the_workspace_model_or_falls_back_visibly(workspace: Path) -> None:
    base = get_embedder("minilm", adapted=False)
    assert get_embedder("minilm", adapted=True) is base  # no workspace model yet
    path = _write_adapter("minilm", base.dim)
    assert get_embedder("minilm") is base  # a plain name stays the base model (what stored models were fitted on)
    adapted = get_embedder("minilm", adapted=True)
    assert isinstance(adapted, AdaptedEmbedder) and adapted.name.startswith("minilm-l6-int8+ws-")
    texts = ["where is my order", "reset my password"]
    np.testing.assert_allclose(adapted.run(texts), adapted.adapter.transform(base.run(texts)), rtol=1e-5)
    ws128 = get_embedder("minilm-128", adapted=True)
    assert ws128.name.startswith("minilm-l6-int8-128+ws-")  # the family, own cache name
    from bizpilot.ml.text.embedding import embed, fit_configuration

    config = fit_configuration("minilm")
    assert config == "minilm+ws-" + adapted.name.partition("+ws-")[2]
    np.testing.assert_allclose(embed(texts, config), ws128.run(texts, is_query=True), rtol=1e-5)
    np.testing.assert_allclose(embed(texts, "minilm"), get_embedder("minilm-128").run(texts, is_query=True),
                               rtol=1e-6)
    path.write_bytes(b"not a model")
    broken = get_embedder("minilm", adapted=True)
    assert isinstance(broken, FallbackEmbedder) and broken.name == "minilm-l6-int8"
    assert "unusable" in (broken.fallback_reason or "")
    np.testing.assert_allclose(broken.run(texts), base.run(texts), rtol=1e-6)
    _write_adapter("e5", base.dim)
    assert get_embedder("minilm", adapted=True) is base  # an adapter for the other language's model is not applied


def test_train_embedder_records_the_held_out_gain(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    rows = [f"{f.format(t)},{g.format(t)},1" for t in TOPICS for i, f in enumerate(FORMS) for g in FORMS[i + 1:]]
    path.write_text("q1,q2,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "embedder", "--pairs", str(path), "--holdout", "0.25", "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "finished" and outcome["model"] == "EmbeddingAdapter"
    metrics = outcome["metrics"]
    assert metrics["base_embedder"] == "minilm" and metrics["n_pairs"] == len(rows)
    assert metrics["heldout_pairs"] == 2 * 6
    for key in ("heldout_recall_at_5_before", "heldout_recall_at_5_after", "heldout_mrr_before",
                "heldout_mrr_after", "fit_seconds", "peak_memory_mb"):
        assert key in metrics
    with Session(engine) as session:
        run = session.scalars(select(ModelRun).where(ModelRun.task == "embedder")).one()
        assert run.status == "finished" and run.params["pairs_file"] == str(path)
    assert isinstance(get_embedder("minilm", adapted=True), AdaptedEmbedder)
    assert runner.invoke(app, ["train", "embedder", "--json"]).exit_code == 2  # no knowledge base: too few pairs


def test_eval_retrieval_trains_on_pairs_and_scores_only_held_out_questions(workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "atec.tsv"
    lines, n = [], 0
    for t in TOPICS:
        for i, f in enumerate(FORMS):
            for g in FORMS[i + 1:]:
                n += 1
                lines.append(f"{n}\t{f.format(t)}\t{g.format(t)}\t1")
    lines.append(f"{n + 1}\t{FORMS[0].format('refund')}\t{FORMS[0].format('invoice')}\t0")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "retrieval", "--format", "atec", "--data", str(path), "--train-pairs",
                                 str(path), "--embedder", "minilm", "--holdout", "0.25", "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    training = out["training"]
    assert training["same_file"] is True and training["shares_questions"] is True
    assert training["heldout_groups"] == 2  # a quarter of the 8 topics, each one group of paraphrases
    assert out["n"] == training["n_scored_queries"] == 2 * 6 and out["n_total"] == 8 * 6
    assert training["n_train_pairs"] == 6 * 6 and out["embedder"].startswith("minilm-l6-int8+ws-")
    assert 0.0 <= out["recall@5"] <= 1.0 and "mrr" in out
