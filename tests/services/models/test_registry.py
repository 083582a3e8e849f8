"""The registry: every workspace model declared once, in training order (dependencies first)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bizpilot.errors import ConfigError, NotFoundError
from bizpilot.services.models.registry import MODELS, get_spec, train_all_specs
from bizpilot.services.models.spec import ordered
from tests.services.models.toys import PRICES, VIEW


def test_ordered_puts_dependencies_first_and_keeps_the_rest_in_order() -> None:
    a = replace(PRICES, name="a")
    b = replace(PRICES, name="b", depends_on=("c",))
    c = replace(PRICES, name="c", depends_on=("a",))
    d = replace(PRICES, name="d", depends_on=("not-registered",))
    assert [s.name for s in ordered([b, a, c, d])] == ["a", "c", "b", "d"]
    assert [s.name for s in ordered([VIEW, PRICES])] == ["prices", "view"]
    assert [s.name for s in ordered([a, c, b])] == ["a", "c", "b"]  # already in order: unchanged


def test_a_dependency_cycle_is_a_config_error() -> None:
    x = replace(PRICES, name="x", depends_on=("y",))
    y = replace(PRICES, name="y", depends_on=("x",))
    with pytest.raises(ConfigError, match="cycle: x -> y -> x"):
        ordered([x, y])


def test_the_registry_lists_every_workspace_model_in_training_order() -> None:
    assert list(MODELS) == ["segments", "churn", "winprob", "forecast", "recommend", "reorder", "signals",
                            "embedder", "knowledge", "intent", "sentiment", "industry", "topics"]
    position = {name: i for i, name in enumerate(MODELS)}
    for spec in MODELS.values():
        assert spec.name and spec.title and spec.summary
        assert all(position[dep] < position[spec.name] for dep in spec.depends_on)
    assert [s.name for s in train_all_specs()] == ["segments", "churn", "winprob", "forecast", "recommend",
                                                   "reorder", "signals", "knowledge", "industry", "topics"]
    assert [s.name for s in train_all_specs(("churn", "knowledge"))] == ["segments", "winprob", "forecast",
                                                                         "recommend", "reorder", "signals",
                                                                         "industry", "topics"]
    assert get_spec("forecast") is MODELS["forecast"]
    with pytest.raises(NotFoundError, match="no model 'nope'; one of: segments, churn"):
        get_spec("nope")
    with pytest.raises(NotFoundError):
        train_all_specs(("nope",))
