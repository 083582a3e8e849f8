"""label_metrics agrees with scikit-learn's accuracy and macro F1."""

from __future__ import annotations

import pytest
from sklearn.metrics import accuracy_score, f1_score

from bizpilot.errors import ValidationFailed
from bizpilot.ml.evaluation import label_metrics


def test_label_metrics_match_sklearn() -> None:
    y_true = ["a", "a", "b", "c", "c", "c", "b"]
    y_pred = ["a", "b", "b", "c", "a", "c", "d"]
    out = label_metrics(y_true, y_pred)
    assert out["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert out["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert out["n"] == 7 and out["per_label_f1"]["d"] == 0.0
    assert label_metrics([], [])["n"] == 0
    with pytest.raises(ValidationFailed, match="1 references but 0 predictions"):
        label_metrics(["a"], [])
