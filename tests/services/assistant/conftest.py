"""A workspace with the small catalog (tests/services/content/data.py) and the bilingual sample knowledge base
(tests/retrieval/kb_sample.py), embedded once per session through the shared embedding cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.retrieval.kb_sample import embed_cache, kb_engine  # noqa: F401  (fixtures)


@pytest.fixture
def kb_session(kb_engine: Engine) -> Iterator[Session]:  # noqa: F811
    """The caller's unit of work, as an edge holds it: the services flush into it; tests commit when they need to."""
    with Session(kb_engine) as session:
        yield session
