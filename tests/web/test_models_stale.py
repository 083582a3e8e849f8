"""The Models page says which text models are stale: fitted through a workspace embedding model that is gone since
(they read base vectors now), why, and what to do; a model whose embedding model is still kept is not flagged."""

from __future__ import annotations

import re

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.config import get_settings
from bizpilot.ml.text.adapter import EmbeddingAdapter
from bizpilot.retrieval.embedders import archived_adapter_path, get_embedder, workspace_configuration
from bizpilot.services.models.jobs import run_training
from bizpilot.services.models.registry import MODELS

TEXTS = ["where is my order", "has my parcel shipped", "I want a refund", "send the money back please",
         "the invoice total is wrong", "please correct my bill"]
LABELS = ["order_status", "order_status", "returns_refunds", "returns_refunds", "invoice_payment", "invoice_payment"]


def _write_adapter() -> str:
    """A MiniLM workspace adapter saved where `train embedder` puts it; its recorded configuration."""
    dim = get_embedder("minilm-128").dim
    model = EmbeddingAdapter(base="minilm", epochs=1).fit(np.eye(4, dim, dtype=np.float32), np.array([[0, 1], [2, 3]]))
    model.save(get_settings().models_dir / "embedder.npz")
    return workspace_configuration("minilm")


def _intent_cell(client: TestClient, lang: str) -> str:
    resp = client.get(f"/models?lang={lang}")
    assert resp.status_code == 200
    return resp.text.split('id="model-intent"')[1].split("</tr>")[0]


def test_a_model_whose_embedding_model_is_gone_is_shown_stale(engine: Engine, browser_client: TestClient) -> None:
    digest = _write_adapter().partition("+ws-")[2]
    params = {"texts": TEXTS, "labels": LABELS, "embedder": "minilm", "workspace_embedding": True}
    outcome = run_training(MODELS["intent"], engine=engine, trigger="test", params=params)
    assert outcome.status == "finished" and outcome.metrics["embedding"] == f"minilm+ws-{digest}"
    assert "data-stale" not in _intent_cell(browser_client, "en")  # its adapter is there: not stale

    (get_settings().models_dir / "embedder.npz").unlink()
    archived_adapter_path(digest).unlink()
    cell = _intent_cell(browser_client, "en")
    assert 'data-stale="intent"' in cell and "Stale: its embedding model is gone" in cell
    assert f"ws-{digest}" in cell and "base model" in cell  # why
    assert "bizpilot train intent FILE" in cell  # what to do (intent is retrained from its file)
    zh = _intent_cell(browser_client, "zh")
    assert "已过期" in zh and "重新训练" in zh
    assert re.findall(r'data-stale="(\w+)"', browser_client.get("/models").text) == ["intent"]
