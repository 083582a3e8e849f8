"""The workspace embedding model: an adapter over the frozen embedder learned from the team's pairs."""
