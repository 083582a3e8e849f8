"""Market insight: topics over interactions, competitor mentions, sentiment trends, the Insights page's and the
insights report's numbers."""
