"""One error hierarchy for the whole product; only the edges (API, CLI, web) translate it for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


class BizpilotError(Exception):
    """Base of every expected failure. ``code`` is stable and machine-readable; the message is for people."""

    code = "error"
    status = 500

    def __init_subclass__(cls, *, code: str | None = None, status: int | None = None, **kwargs: Any) -> None:
        """Each error names its code (and its HTTP status where that differs from its parent's) in its class line,
        so the hierarchy reads as one table."""
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if status is not None:
            cls.status = status

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ConfigError(BizpilotError, code="config_error"):
    """A setting or configuration file the product cannot use (an LLM script, a model dependency cycle)."""


class NotFoundError(BizpilotError, code="not_found", status=404):
    """The record, model or file asked for does not exist."""


class ModelFileError(BizpilotError, code="model_file_error", status=422):
    """A model file that is missing, damaged, of another class or written by a newer format."""


class NotFittedError(BizpilotError, code="not_fitted", status=409):
    """A model used before ``fit`` (or ``load``)."""


class ConflictError(BizpilotError, code="conflict", status=409):
    """The request clashes with what is stored already (such as a name that is taken)."""


class ValidationFailed(BizpilotError, ValueError, code="validation_error", status=422):
    """Input that cannot be used; ``details`` name the row/field and the reason.

    Also a ``ValueError`` (what scikit-learn raises for bad input and bad hyperparameters), so code written for
    scikit-learn-style estimators and the readers that collect per-row errors with ``except ValueError`` keep
    working now that ``bizpilot/ml`` raises this family; ``BizpilotError`` comes first in the MRO, so the edges
    translate it as before. A broad ``except ValueError`` catches it too: keep such blocks narrow."""


class UnsupportedFormat(ValidationFailed, code="unsupported_format"):
    """A file type or format option that nothing here reads."""


class PayloadTooLarge(ValidationFailed, code="payload_too_large", status=413):
    """An upload over the size limit (``BIZPILOT_IMPORT_MAX_UPLOAD_MB``), refused before it is stored."""


class InsufficientData(ValidationFailed, code="insufficient_data"):
    """Too little data to fit or score a model (no orders yet, one class only, fewer rows than folds). Training
    everything reports such a model as skipped, not failed."""


class InvalidParameter(ValidationFailed, code="invalid_parameter"):
    """A hyperparameter or option outside what the model accepts (names the parameter and the allowed values)."""


class ModelNotReady(BizpilotError, code="model_not_ready", status=503):
    """A page or API call needs a model that is not trained yet (or is training now, or failed to train). ``state``
    is what the Models page shows: missing, queued, training or failed; ``reason`` says why it failed."""

    headers: ClassVar[dict[str, str]] = {"Retry-After": "10"}

    def __init__(self, message: str, *, model: str, state: str, reason: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, details=details or [{"field": "model", "reason": state, "value": model}])
        self.model = model
        self.state = state
        self.reason = reason

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "model": self.model, "state": self.state}


@dataclass
class RowError:
    """One reason a row was rejected: 1-based row number as a spreadsheet shows it, the field and why."""

    row: int
    field: str
    reason: str
    value: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason, "value": self.value}


class ImportRejected(ValidationFailed, code="import_rejected"):
    """A strict import found bad rows, so nothing was written. ``report`` is the import's report."""

    report: Any = None


class Unauthorized(BizpilotError, code="unauthorized", status=401):
    """No valid credentials: the client must authenticate (API key, or a dashboard login)."""

    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="bizpilot"'}


class Forbidden(BizpilotError, code="forbidden", status=403):
    """Authenticated, but not allowed: the role is too low, or a cookie-authenticated write lacks its CSRF token."""


class RateLimited(BizpilotError, code="rate_limited", status=429):
    """Too many attempts at a guarded action (signing in, login links, creating keys) from one client or for one
    account; ``Retry-After`` says when the oldest attempt leaves the window."""

    def __init__(self, message: str, *, retry_after: int, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = max(1, int(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}


class LLMError(BizpilotError, code="llm_error", status=502):
    """A language-model call failed in a way retrying will not fix (bad request, refused key, broken output)."""


class LLMUnavailable(LLMError, code="llm_unavailable", status=503):
    """Transient: the backend is unreachable, overloaded (429/5xx) or dropped the connection; the base retries."""

    retry_after: float | None = None  # seconds, when the server said (HTTP Retry-After)


class LLMTimeout(LLMError, code="llm_timeout", status=504):
    """A call ran past its time limit (``BIZPILOT_LLM_TIMEOUT_S``); not retried, the caller decides."""
