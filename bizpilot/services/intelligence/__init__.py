"""Customer intelligence: segments, profiles and narratives, repurchase and win scores with factors, demand
forecasts (read from what training computed: ``scores``, ``profile``, ``forecasts``), how the models train
(``training``, ``specs``); the evaluations behind `bizpilot eval churn|forecast|winprob` are in
``services/evaluation/intelligence.py``.

Modules are imported by name (``from bizpilot.services.intelligence.scores import segment_summary``): a package
import loads no models' code, and there is one name for each function.
"""
