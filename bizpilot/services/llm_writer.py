"""Which language model writes a feature's text: one answer for content generation, the assistant's drafted
replies and the account profile's narrative, so a team that configured a remote endpoint on the Settings page gets
it everywhere, and a model that failed its capability probe writes nowhere.

The choice: the caller's ``backend`` when it passes one (tests, evaluations), else the workspace's endpoint when
it is set to write (``llmprobe.endpoint.generation_backend``), else the server's configured backend. Then the
probe decides: a model whose stored probe failed raises ``LLMUnavailable`` and the caller's deterministic path
writes, saying why; one never probed drafts (every draft is still checked). The labels say which model wrote the
text (``written_by``) or that the deterministic path did after it (``deterministic_after``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bizpilot.domain.contact import Contact
from bizpilot.errors import LLMUnavailable
from bizpilot.services.llmprobe.endpoint import generation_backend
from bizpilot.services.llmprobe.store import model_key, probe_passed, probe_result

DETERMINISTIC = "deterministic"
MAX_REDACTED_NAMES = 200


def writing_backend(*, session: Session, backend: Any = None, language: str | None = None) -> Any:
    """The backend that writes (see the module docstring); raises ``LLMUnavailable`` when its probe failed, in
    ``language`` when the probe has a verdict per language (a model may draft English and not Chinese)."""
    if backend is None:
        backend = generation_backend(session=session)
    key = model_key(backend)
    if probe_passed(key, language=language) is False:
        if probe_passed(key) is True or _passed_some_language(key):
            raise LLMUnavailable(f"{key} failed the capability probe in {language} (bizpilot llm probe)")
        raise LLMUnavailable(f"{key} failed the capability probe (bizpilot llm probe)")
    return backend


def _passed_some_language(key: str) -> bool:
    result = probe_result(key) or {}
    return any(bool(v) for v in (result.get("languages") or {}).values())


def contact_names(*, session: Session, backend: Any, account_id: int | None) -> tuple[str, ...]:
    """The account's contact names for a remote backend to redact before the prompt leaves the machine (e-mail
    addresses and phone numbers the base finds by pattern); none for a local backend, which sends nothing."""
    if not getattr(backend, "remote", False) or account_id is None:
        return ()
    names = session.scalars(select(Contact.name).where(Contact.account_id == account_id).limit(MAX_REDACTED_NAMES))
    return tuple(n for n in names if n)


def written_by(completion: Any, backend: Any) -> str:
    """The model that wrote a completion: the name the server reports, else the backend's model name."""
    return getattr(completion, "model", None) or backend.model_name


def deterministic_after(model: str) -> str:
    """The label of text the deterministic path wrote after ``model``'s draft was not used."""
    return model if model.startswith(DETERMINISTIC) else f"{DETERMINISTIC} (after {model})"


__all__ = ["DETERMINISTIC", "contact_names", "deterministic_after", "writing_backend", "written_by"]
