"""The workspace's remote language model: an OpenAI-compatible endpoint (base URL and model name) kept in the
workspace settings (``WorkspaceSetting`` ``llm.endpoint``), so a team configures it once on the Settings page.

The API key never enters the database or a page: the setting names the environment variable that holds it (by
default ``BIZPILOT_LLM_API_KEY``), read when the backend is built. Only names ending in ``_API_KEY`` are accepted,
and no other ``BIZPILOT_*`` variable, so an admin cannot point the Authorization header at another secret of the
server (a database password, the session secret). Saving or clearing the endpoint is admin-only and audited.

With ``use_for_generation`` the endpoint writes the workspace's content (``generation_backend``); the capability
probe still decides whether it drafts. It is a remote backend, so the base redacts e-mail addresses, phone numbers
and the contact names the caller passes before any text leaves the machine.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import SecretStr
from sqlalchemy.orm import Session

from bizpilot.db.base import utcnow
from bizpilot.domain.audit import AuditEntry
from bizpilot.domain.security import WorkspaceSetting
from bizpilot.errors import ConfigError, Forbidden, ValidationFailed

if TYPE_CHECKING:
    from bizpilot.config import Settings
    from bizpilot.llm.base import LLMBackend
    from bizpilot.services.auth import Principal

SETTING_KEY = "llm.endpoint"
DEFAULT_KEY_ENV = "BIZPILOT_LLM_API_KEY"
MAX_URL = 500
MAX_MODEL = 200
_ENV_RE = re.compile(r"[A-Z][A-Z0-9_]{0,56}_API_KEY")
_MODEL_RE = re.compile(r"[^\s\x00-\x1f]{1,200}")


@dataclass(frozen=True)
class Endpoint:
    """What the setting holds: never the key, only where to find it."""

    base_url: str
    model: str
    api_key_env: str = DEFAULT_KEY_ENV
    use_for_generation: bool = False

    @property
    def key(self) -> str:
        """The name its probe result is stored under (``store.model_key`` of the backend it builds)."""
        return f"openai:{self.model}@{self.base_url}"

    @property
    def api_key_set(self) -> bool:
        """Whether the named variable holds a value in this server's environment (the value is never read out)."""
        return bool(_api_key(self.api_key_env))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _api_key(env: str) -> str:
    if env == DEFAULT_KEY_ENV:
        from bizpilot.config import get_settings

        secret = get_settings().llm_api_key
        return secret.get_secret_value() if secret is not None else ""
    return os.environ.get(env, "")


def check_endpoint(*, base_url: str, model: str, api_key_env: str = "") -> Endpoint:
    """The form's values checked, each failure naming its field."""
    base_url, model, env = base_url.strip().rstrip("/"), model.strip(), (api_key_env.strip() or DEFAULT_KEY_ENV)
    parts = urlsplit(base_url)
    if (len(base_url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.username or parts.password or parts.query or parts.fragment):
        raise ValidationFailed("the base URL must be an http:// or https:// address without credentials, query or "
                               "fragment, e.g. https://api.deepseek.com/v1 or http://127.0.0.1:8080/v1",
                               details=[{"field": "base_url", "reason": "not an http(s) URL", "value": base_url[:80]}])
    if not _MODEL_RE.fullmatch(model):
        raise ValidationFailed("name the model the endpoint serves (no spaces), e.g. deepseek-chat",
                               details=[{"field": "model", "reason": "required, no spaces", "value": model[:80]}])
    if not _ENV_RE.fullmatch(env) or (env.startswith("BIZPILOT_") and env != DEFAULT_KEY_ENV):
        raise ValidationFailed(f"the API key's environment variable must be a name ending in _API_KEY (upper case), "
                               f"such as {DEFAULT_KEY_ENV} or DEEPSEEK_API_KEY; the key itself is never entered here",
                               details=[{"field": "api_key_env", "reason": "not an *_API_KEY variable name",
                                         "value": env[:80]}])
    return Endpoint(base_url=base_url, model=model, api_key_env=env)


def get_endpoint(*, session: Session) -> Endpoint | None:
    """The saved endpoint, or None (a damaged value reads as none rather than breaking every page)."""
    row = session.get(WorkspaceSetting, SETTING_KEY)
    if row is None or not isinstance(row.value, dict):
        return None
    try:
        return Endpoint(base_url=str(row.value["base_url"]), model=str(row.value["model"]),
                        api_key_env=str(row.value.get("api_key_env") or DEFAULT_KEY_ENV),
                        use_for_generation=bool(row.value.get("use_for_generation")))
    except KeyError:
        return None


def _require_admin(principal: Principal, what: str) -> None:
    if not principal.allows("admin"):
        raise Forbidden(f"{principal.name} may not {what}: only admins do",
                        details=[{"field": "role", "reason": "admin required", "value": principal.role}])


def _audit(session: Session, principal: Principal, channel: str, action: str, old: Endpoint | None,
           new: Endpoint | None) -> None:
    from bizpilot.services.audit_trail import actor_of

    session.add(AuditEntry(entity="settings", record_id=0, action=action, user_id=principal.user_id,
                           actor=actor_of(principal), channel=channel, at=utcnow(),
                           changes={SETTING_KEY: [old.to_dict() if old else None, new.to_dict() if new else None]}))


def save_endpoint(*, session: Session, base_url: str, model: str, api_key_env: str = "",
                  use_for_generation: bool = False, principal: Principal, channel: str) -> Endpoint:
    """Check and store the endpoint (admins only), with an audit row holding the old and new values (which
    hold no secret). Flushed; the caller commits."""
    _require_admin(principal, "change the language model endpoint")
    new = check_endpoint(base_url=base_url, model=model, api_key_env=api_key_env)
    new = Endpoint(new.base_url, new.model, new.api_key_env, bool(use_for_generation))
    old = get_endpoint(session=session)
    row = session.get(WorkspaceSetting, SETTING_KEY)
    if row is None:
        session.add(WorkspaceSetting(key=SETTING_KEY, value=new.to_dict(), updated_at=utcnow()))
    else:
        row.value = new.to_dict()
    if old != new:
        _audit(session, principal, channel, "update", old, new)
    session.flush()
    return new


def clear_endpoint(*, session: Session, principal: Principal, channel: str) -> bool:
    """Remove the endpoint (admins only; audited); False when none was saved."""
    _require_admin(principal, "remove the language model endpoint")
    row = session.get(WorkspaceSetting, SETTING_KEY)
    if row is None:
        return False
    old = get_endpoint(session=session)
    session.delete(row)
    _audit(session, principal, channel, "delete", old, None)
    session.flush()
    return True


def endpoint_settings(endpoint: Endpoint, settings: Settings | None = None) -> Settings:
    """The server's settings with the endpoint as the LLM backend (its key read from the named variable)."""
    from bizpilot.config import get_settings

    settings = settings or get_settings()
    key = _api_key(endpoint.api_key_env)
    return settings.model_copy(update={"llm_backend": "openai", "llm_base_url": endpoint.base_url,
                                       "llm_model": endpoint.model, "llm_model_path": None,
                                       "llm_api_key": SecretStr(key) if key else None})


def endpoint_backend(endpoint: Endpoint, *, timeout_s: float | None = None) -> LLMBackend:
    """The endpoint's backend (built once per URL, model, key and timeout, like every backend)."""
    from bizpilot.llm.registry import get_backend

    settings = endpoint_settings(endpoint)
    if timeout_s is not None:
        settings = settings.model_copy(update={"llm_timeout_s": timeout_s})
    backend = get_backend(settings)
    if not backend.remote:  # pragma: no cover - the openai backend is remote by definition
        raise ConfigError("the endpoint's backend must be remote")
    return backend


def generation_backend(*, session: Session) -> LLMBackend:
    """The backend content generation uses: the workspace's endpoint when it is set to write, else the server's
    configured backend (``BIZPILOT_LLM_BACKEND``)."""
    endpoint = get_endpoint(session=session)
    if endpoint is not None and endpoint.use_for_generation:
        return endpoint_backend(endpoint)
    from bizpilot.llm.registry import get_backend

    return get_backend()


__all__ = ["DEFAULT_KEY_ENV", "Endpoint", "SETTING_KEY", "check_endpoint", "clear_endpoint", "endpoint_backend",
           "endpoint_settings", "generation_backend", "get_endpoint", "save_endpoint"]
