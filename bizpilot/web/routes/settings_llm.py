"""Settings › Language models, the section's context: every model the workspace can use with its stored capability
probe (who writes content while it is in use), and the workspace's remote OpenAI-compatible endpoint (admins). Its
forms (save, remove, "Test connection", which reaches the endpoint and probes it on a background worker) are
handled in ``settings.py``; the page shows the test's state and reloads itself until it is done. Nothing here loads
a model or probes on the request.

The API key is never entered, stored or shown: the form names the environment variable that holds it, and the page
says only whether that variable is set on the server.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bizpilot.services.llmprobe.endpoint import DEFAULT_KEY_ENV, MAX_MODEL, MAX_URL
from bizpilot.services.llmprobe.overview import configured_models

NOTICES = ("llm_saved", "llm_removed", "llm_test_started", "llm_test_running")
TEST_REFRESH_SECONDS = 3


def llm_section(session: Session, *, admin: bool) -> dict[str, Any]:
    """The section's context: the models (with probes), the endpoint's row and form values (admins), whether a
    test is under way (the page then reloads itself) and the field a failed save names."""
    overview = configured_models(session=session)
    endpoint = next((r for r in overview["models"] if r.get("source") == "workspace"), None)
    testing = bool(endpoint and endpoint.get("test") and endpoint["test"]["state"] in ("queued", "running"))
    form = ({"base_url": endpoint["base_url"], "model": endpoint["model"], "api_key_env": endpoint["api_key_env"],
             "use_for_generation": endpoint["use_for_generation"]} if endpoint
            else {"base_url": "", "model": "", "api_key_env": DEFAULT_KEY_ENV, "use_for_generation": False})
    return {"models": overview["models"], "active": overview["active"], "endpoint": endpoint if admin else None,
            "form": form, "error": None, "testing": testing, "max_url": MAX_URL, "max_model": MAX_MODEL,
            "refresh": TEST_REFRESH_SECONDS if testing else None}


__all__ = ["NOTICES", "TEST_REFRESH_SECONDS", "llm_section"]
