"""One error hierarchy for the whole product; only the edges (API, CLI, web) translate it for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


class BizpilotError(Exception):
    """Base of every expected failure. ``code`` is stable and machine-readable; the message is for people."""

    code = "error"
    status = 500

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ConfigError(BizpilotError):
    code = "config_error"
    status = 500


class NotFoundError(BizpilotError):
    code = "not_found"
    status = 404


class ModelFileError(BizpilotError):
    """A model file that is missing, damaged, of another class or written by a newer format."""

    code = "model_file_error"
    status = 422


class NotFittedError(BizpilotError):
    """A model used before ``fit`` (or ``load``)."""

    code = "not_fitted"
    status = 409


class ConflictError(BizpilotError):
    code = "conflict"
    status = 409


class ValidationFailed(BizpilotError, ValueError):
    """Input that cannot be used; ``details`` name the row/field and the reason.

    Also a ``ValueError`` (what scikit-learn raises for bad input and bad hyperparameters), so code written for
    scikit-learn-style estimators and the readers that collect per-row errors with ``except ValueError`` keep
    working now that ``bizpilot/ml`` raises this family; ``BizpilotError`` comes first in the MRO, so the edges
    translate it as before. A broad ``except ValueError`` catches it too: keep such blocks narrow."""

    code = "validation_error"
    status = 422


class UnsupportedFormat(ValidationFailed):
    code = "unsupported_format"


class InsufficientData(ValidationFailed):
    """Too little data to fit or score a model (no orders yet, one class only, fewer rows than folds). Training
    everything reports such a model as skipped, not failed."""

    code = "insufficient_data"


class InvalidParameter(ValidationFailed):
    """A hyperparameter or option outside what the model accepts (names the parameter and the allowed values)."""

    code = "invalid_parameter"


class ModelNotReady(BizpilotError):
    """A page or API call needs a model that is not trained yet (or is training now, or failed to train). ``state``
    is what the Models page shows: missing, queued, training or failed; ``reason`` says why it failed."""

    code = "model_not_ready"
    status = 503
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


class ImportRejected(ValidationFailed):
    """A strict import found bad rows, so nothing was written. ``report`` is the import's report."""

    code = "import_rejected"
    report: Any = None


class Unauthorized(BizpilotError):
    """No valid credentials: the client must authenticate (API key, or a dashboard login)."""

    code = "unauthorized"
    status = 401
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="bizpilot"'}


class Forbidden(BizpilotError):
    """Authenticated, but not allowed: the role is too low, or a cookie-authenticated write lacks its CSRF token."""

    code = "forbidden"
    status = 403


class LLMError(BizpilotError):
    """A language-model call failed in a way retrying will not fix (bad request, refused key, broken output)."""

    code = "llm_error"
    status = 502


class LLMUnavailable(LLMError):
    """Transient: the backend is unreachable, overloaded (429/5xx) or dropped the connection; the base retries."""

    code = "llm_unavailable"
    status = 503
    retry_after: float | None = None  # seconds, when the server said (HTTP Retry-After)


class LLMTimeout(LLMError):
    """A call ran past its time limit (``BIZPILOT_LLM_TIMEOUT_S``); not retried, the caller decides."""

    code = "llm_timeout"
    status = 504
