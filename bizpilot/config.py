"""Settings, read once from the environment (prefix ``BIZPILOT_``) so every edge sees the same workspace."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the workspace lives and which database it uses.

    A workspace is a directory holding the embedded SQLite file, trained models and reports. Setting
    ``BIZPILOT_DATABASE_URL`` (e.g. ``postgresql+psycopg://user:pw@host/db``) moves the tables to PostgreSQL
    while models and reports stay in the workspace directory.
    """

    model_config = SettingsConfigDict(env_prefix="BIZPILOT_", extra="ignore")

    home: Path = Field(default=Path("./bizpilot-data"), description="Workspace directory")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default is SQLite in the workspace")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Authentication. Open reads (no key/login for GET) are only honoured on a loopback host, for loopback
    # clients; writes always need a key or a signed-in session.
    auth_open_reads: bool = Field(default=False, description="Allow reads without credentials on loopback only")
    session_days: int = Field(default=14, ge=1, le=365, description="Lifetime of a dashboard session")
    login_link_minutes: int = Field(default=15, ge=1, le=24 * 60, description="Lifetime of a one-time login link")
    # Rate limits (sliding windows kept in the server process): failed sign-ins and login-link tries per client IP
    # and per account name, and API keys created per client IP and per creator; past the limit: 429 + Retry-After.
    login_rate_limit: int = Field(default=10, ge=1, le=10_000, description="Failed sign-ins (password or login "
                                  "link) allowed per client IP and per account within login_rate_window_s")
    login_rate_window_s: int = Field(default=600, ge=1, le=86_400, description="Window of the sign-in limit (s)")
    key_rate_limit: int = Field(default=20, ge=1, le=10_000, description="API keys one client IP or one user may "
                                "create within key_rate_window_s")
    key_rate_window_s: int = Field(default=3600, ge=1, le=86_400, description="Window of the key-creation limit (s)")
    # Language model (bizpilot.llm). Backends are chosen by name from the registry: `bizpilot llm models` lists them.
    llm_backend: str = Field(default="local", description="LLM backend by name: local (llama.cpp), openai (HTTP)")
    llm_model_path: Path | None = Field(default=None, description="GGUF file for the local backend; default: the "
                                        "bundled SmolLM2-135M-Instruct (pip extra `llm`)")
    llm_threads: int | None = Field(default=None, ge=1, description="CPU threads for the local backend (default: "
                                    "half the CPUs; all of them is faster only on an otherwise idle machine)")
    llm_context: int = Field(default=4096, ge=256, description="Context window (tokens) of the local backend")
    llm_base_url: str = Field(default="http://127.0.0.1:8080/v1", description="OpenAI-compatible endpoint")
    llm_api_key: SecretStr | None = Field(default=None, description="API key of the remote endpoint (never logged)")
    llm_model: str | None = Field(default=None, description="Remote: the model name sent to the endpoint; local: a "
                                  "packaged model (smollm2, qwen2.5-coder-0.5b) unless llm_model_path is set")
    llm_timeout_s: float = Field(default=120.0, gt=0, description="Time limit of one LLM call attempt")
    llm_max_retries: int = Field(default=2, ge=0, le=10, description="Retries on transient failures (backoff)")
    llm_call_log: bool = Field(default=True, description="Append one JSON line per LLM call (timing, tokens, never "
                               "text) to logs/llm_calls.jsonl in the workspace")
    # Text embeddings (bizpilot.retrieval.embedders): one service, one cache inside the workspace.
    kb_embedder: str = Field(default="e5", description="Embedder of the knowledge base: e5 (zh + en) or minilm "
                             "(English only, faster)")
    embed_threads: int | None = Field(default=None, ge=1, description="CPU threads of the local embedders "
                                      "(default: OMP_NUM_THREADS, else 2)")
    cache_dir: Path | None = Field(default=None, description="Where computed embeddings are kept (default: "
                                   "cache/ in the workspace)")
    # Workspace models (bizpilot.services.models).
    as_of: date | None = Field(default=None, description="The workspace's \"today\" for scores and due dates "
                               "(default: today, or the day after the last order when the data ends in the past)")
    train_on_demand: bool = Field(default=True, description="Train a missing model in the background when a page "
                                  "or API call needs it")
    retrain_hours: float = Field(default=24.0, ge=0, description="`serve` retrains every model this often "
                                 "(hours; 0 turns the schedule off)")
    retrain_at: str = Field(default="02:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                            description="Local time of day of the first scheduled retraining (HH:MM)")
    # Sending e-mail (the outbox): without a host, messages stay drafts in the outbox; with one, "send" delivers them.
    smtp_host: str | None = Field(default=None, description="SMTP server for sending follow-ups (none: drafts only)")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port")
    smtp_username: str | None = Field(default=None, description="SMTP user name")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (never logged)")
    smtp_from: str | None = Field(default=None, description="From address of sent messages")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP connection with STARTTLS when offered")
    smtp_timeout_s: float = Field(default=30.0, gt=0, description="Time limit of one SMTP delivery")
    # Webhooks: how often and how long failed deliveries are retried (exponential backoff from 30 s).
    webhook_max_attempts: int = Field(default=8, ge=1, le=20, description="Delivery attempts before giving up")
    webhook_timeout_s: float = Field(default=10.0, gt=0, description="Time limit of one webhook delivery")
    # Tasks: an open opportunity with no activity this long gets a follow-up task.
    stale_deal_days: int = Field(default=21, ge=1, le=365, description="Days without activity before a deal task")
    # Imports (bizpilot/ingest): what an upload or a file may hold before it is refused with a clear message.
    import_max_upload_mb: int = Field(default=200, ge=1, le=100_000, description="Largest upload the Imports page "
                                      "and POST /api/v1/imports accept (MB; larger answers 413)")
    import_max_unzipped_mb: int = Field(default=1024, ge=1, le=100_000, description="Most an .xlsx workbook may "
                                        "unpack to (MB): zip bombs are refused before they are opened")
    import_max_cell_chars: int = Field(default=100_000, ge=100, le=50_000_000, description="Longest cell an import "
                                       "takes (characters); a row with a longer one is rejected and reported")
    # The dashboard password of a single-person install (`bizpilot init --password` reads it when set).
    password: SecretStr | None = Field(default=None, description="Dashboard password for `init --password` "
                                       "(never stored in clear)")

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{self.resolved_home / 'bizpilot.sqlite'}"

    @property
    def models_dir(self) -> Path:
        return self.resolved_home / "models"

    @property
    def reports_dir(self) -> Path:
        return self.resolved_home / "reports"

    @property
    def logs_dir(self) -> Path:
        return self.resolved_home / "logs"

    @property
    def resolved_cache_dir(self) -> Path:
        return (self.cache_dir.expanduser().resolve() if self.cache_dir else self.resolved_home / "cache")

    def ensure_dirs(self) -> None:
        for path in (self.resolved_home, self.models_dir, self.reports_dir):
            path.mkdir(parents=True, exist_ok=True)


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``) and pick the bundled psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


ENV_PREFIX = "BIZPILOT_"


def unknown_env_vars(environ: Mapping[str, str] | None = None) -> list[str]:
    """``BIZPILOT_*`` variables that name no setting: a typo (``BIZPILOT_DATABSE_URL``) would otherwise be ignored
    silently. ``bizpilot doctor`` lists them and every command warns about them."""
    environ = os.environ if environ is None else environ
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    return sorted(k for k in environ if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI change the environment between workspaces)."""
    get_settings.cache_clear()
