"""The capability probe of a configured language model: can it write to the customer in the seller's voice, keep
the requested language and keep the given facts? Stored per model (``store``), run by ``probe.run_probe``."""

from bizpilot.services.llmprobe.store import load_results, model_key, probe_passed, probe_result, save_result

__all__ = ["load_results", "model_key", "probe_passed", "probe_result", "save_result"]
