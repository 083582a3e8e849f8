"""Signals of customer messages: intent and sentiment, the dissatisfaction alerts and the analysis job
(``analysis``), the workspace's own models (``training``, ``specs``).

Modules are imported by name (``from bizpilot.services.signals.analysis import analyse_message``): a package import
loads no models' code, and there is one name for each function.
"""
