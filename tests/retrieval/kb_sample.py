"""A small bilingual knowledge base written for these tests (Markdown, HTML, FAQ CSV, Chinese Markdown), the
shared embedding cache, and ``kb_engine``: a workspace with the small catalog and this knowledge base imported (the
assistant's service, API and page tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bizpilot.config import reset_settings
from bizpilot.db.engine import session_scope
from bizpilot.services.assistant.knowledge import import_documents
from tests.services.content.data import seed_small

RETURNS_MD = """# Returns and refunds

General rules for sending goods back.

## Return window

Unused items can be returned within 30 days of delivery. Custom-cut items cannot be returned.

## Refunds

Refunds are paid to the original payment method within 7 business days after the return is inspected.
A restocking fee of 15% applies to returns without a defect.
"""

SHIPPING_HTML = """<html><head><title>Shipping</title><style>p {color: red}</style></head><body>
<h1>Shipping</h1><p>Orders placed before 2 pm ship the same business day.</p>
<h2>Delivery times</h2><p>Standard delivery takes 3-5 business days. Express delivery takes 1-2 business days.</p>
<script>var tracking = 1;</script></body></html>"""

FAQ_CSV = """question,answer
Do you accept credit cards?,"We accept bank transfer, Visa and Mastercard."
Can I get a VAT invoice?,An invoice is e-mailed as a PDF when the order ships.
你们开增值税专用发票吗？,可以，发货后5个工作日内开具增值税专用发票。
"""

PAYMENT_ZH_MD = """# 付款条件

## 账期

信用账户的付款条件为月结30天。逾期余额按每月1.5%计收利息。

## 付款方式

支持银行转账和支付宝付款。
"""


def write_kb(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "returns.md").write_text(RETURNS_MD, encoding="utf-8")
    (folder / "shipping.html").write_text(SHIPPING_HTML, encoding="utf-8")
    (folder / "faq.csv").write_text(FAQ_CSV, encoding="utf-8")
    (folder / "付款.md").write_text(PAYMENT_ZH_MD, encoding="utf-8")
    return folder


@pytest.fixture
def embed_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Embeddings cached in one folder for the whole test session (``BIZPILOT_CACHE_DIR`` is
    ``Settings.cache_dir``), so the models embed each sample text once, never in a real workspace."""
    path = tmp_path_factory.getbasetemp() / "embed-cache"
    monkeypatch.setenv("BIZPILOT_CACHE_DIR", str(path))
    reset_settings()
    yield path
    monkeypatch.delenv("BIZPILOT_CACHE_DIR")
    reset_settings()


@pytest.fixture
def kb_engine(engine: Engine, tmp_path: Path, embed_cache: Path) -> Engine:
    """The small catalog (tests/services/content/data.py) plus this knowledge base, embedded through the cache."""
    seed_small(engine)
    with session_scope(engine) as session:
        summary = import_documents(session=session, path=write_kb(tmp_path / "kb"))
    assert summary.chunks == 10 and summary.embedded == 10 and summary.embedder == "e5-small-q4"
    return engine
