"""Machine learning: estimators, text generation, evaluation metrics."""
