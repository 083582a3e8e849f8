"""Retrieval: chunking that keeps headings, KB loaders, analyzers (jieba for Chinese, a stemming English analyzer),
BM25, one embedding service (``get_embedder``: one instance per model, one cache inside the workspace), an exact
vector index (optionally hubness-corrected) and reciprocal rank fusion, composed by injection into
:class:`HybridRetriever`. Each piece is a small component with one ``run()``."""

from bizpilot.retrieval.analyzers import ChineseAnalyzer, EnglishAnalyzer, MixedAnalyzer, detect_language
from bizpilot.retrieval.bm25 import BM25Index
from bizpilot.retrieval.chunking import Chunker, html_to_markdown
from bizpilot.retrieval.embedders import (
    CachedEmbedder,
    E5Embedder,
    Embedder,
    FallbackEmbedder,
    HashingEmbedder,
    MiniLMEmbedder,
    embedder_names,
    get_embedder,
)
from bizpilot.retrieval.fusion import ReciprocalRankFusion
from bizpilot.retrieval.hybrid import HybridRetriever
from bizpilot.retrieval.types import Chunk, Hit
from bizpilot.retrieval.vector import VectorIndex

__all__ = ["BM25Index", "CachedEmbedder", "ChineseAnalyzer", "Chunk", "Chunker", "E5Embedder", "Embedder",
           "EnglishAnalyzer", "FallbackEmbedder", "HashingEmbedder", "Hit", "HybridRetriever", "MiniLMEmbedder",
           "MixedAnalyzer", "ReciprocalRankFusion", "VectorIndex", "detect_language", "embedder_names",
           "get_embedder", "html_to_markdown"]
