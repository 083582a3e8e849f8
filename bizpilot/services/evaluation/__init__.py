"""Evaluations behind `bizpilot eval <task>` that the API and benchmarks can call too: plain functions with
keyword-only arguments that read data files (errors name the file, line and field), fit and score models, and
return the result dictionaries the CLI prints. No typer, rich or web types; progress is a plain callback.

``files`` (data-file readers), ``generate`` (attribute-to-copy), ``signals`` (intent, sentiment), ``retrieval``
(knowledge-base ranking), ``recommend`` (recommenders), ``intelligence`` (churn, forecast, win probability).
Modules are imported by name: most pull in pandas or model code, which a package import should not.
"""
