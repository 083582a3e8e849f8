"""RFM scores and named segments."""

from __future__ import annotations

import pandas as pd

from bizpilot.ml.segment import SEGMENTS, BehaviourClusters, RFMSegmenter


def test_rfm_scores_and_segments(tmp_path) -> None:
    values = pd.DataFrame({"recency_days": [1, 5, 200, 300, 2, 150, 40, 90, 10, 250],
                           "frequency": [40, 1, 30, 1, 20, 3, 8, 5, 12, 2],
                           "monetary": [9e4, 50, 5e4, 20, 3e4, 800, 4e3, 2e3, 1e4, 300]},
                          index=[str(i) for i in range(10)])
    model = RFMSegmenter().fit(values)
    out = RFMSegmenter.load(model.save(tmp_path / "rfm")).transform(values)
    assert out.loc["0", "segment"] == "champions"
    assert out.loc["1", "segment"] == "new"
    assert out.loc["2", "segment"] == "at_risk"
    assert out.loc["3", "segment"] == "hibernating"
    assert out["segment"].isin([s.key for s in SEGMENTS]).all()
    assert all(s.definition and s.action for s in SEGMENTS)


def test_behaviour_clusters_describe_in_own_units() -> None:
    x = pd.DataFrame({"frequency": [1, 2, 1, 50, 60, 55], "monetary": [10, 20, 15, 5000, 6000, 5500]})
    model = BehaviourClusters(n_clusters=2).fit(x)
    labels = model.predict(x)
    assert labels[0] == labels[1] != labels[3] == labels[4]
    assert len(model.describe()) == 2
