"""A workspace with the small catalog (tests/services/content/data.py) and the bilingual sample knowledge base
(tests/retrieval/kb_sample.py), embedded once per session through the shared embedding cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.db.engine import session_scope
from bizpilot.services.assistant import import_documents
from tests.retrieval.kb_sample import embed_cache, write_kb  # noqa: F401  (fixture)
from tests.services.content.data import seed_small


@pytest.fixture
def kb_engine(engine: Engine, tmp_path: Path, embed_cache: Path) -> Engine:  # noqa: F811
    seed_small(engine)
    with session_scope(engine) as session:
        summary = import_documents(session=session, path=write_kb(tmp_path / "kb"))
    assert summary.chunks == 10 and summary.embedded == 10 and summary.embedder == "e5-small-q4"
    return engine


@pytest.fixture
def kb_session(kb_engine: Engine) -> Iterator[Session]:
    """The caller's unit of work, as an edge holds it: the services flush into it; tests commit when they need to."""
    with Session(kb_engine) as session:
        yield session
