"""The text models embed through the workspace cache: keep it in a per-session temp folder here, never in
``./bizpilot-data`` (these tests run without a workspace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.retrieval.kb_sample import embed_cache  # noqa: F401  (fixture, also used by name in these tests)


@pytest.fixture(autouse=True)
def _embeddings_outside_the_repository(embed_cache: Path) -> Path:  # noqa: F811
    return embed_cache
