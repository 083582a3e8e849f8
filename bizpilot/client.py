"""Python client for the bizpilot REST API, with typed results (the API's own pydantic models).

    from bizpilot.client import Client
    with Client("http://127.0.0.1:8000", api_key="bp_...") as bp:
        page = bp.accounts.list(industry="manufacturing", sort="-created_at", limit=20)
        for account in page.items: print(account.name)
        run = bp.imports.upload("products", "products.csv", wait=True)

Errors come back as the same exception classes the server raised (``NotFoundError``, ``ValidationFailed``,
``Unauthorized``, ...), with the server's message and field details.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from bizpilot import errors
from bizpilot.domain.account import AccountPublic
from bizpilot.domain.contact import ContactPublic
from bizpilot.domain.interaction import InteractionPublic
from bizpilot.domain.knowledge import KnowledgeArticlePublic
from bizpilot.domain.model_run import ModelRunPublic
from bizpilot.domain.opportunity import OpportunityPublic
from bizpilot.domain.ops import ImportRunPublic, ImportRunStatus, RejectedRow
from bizpilot.domain.order import OrderLinePublic, OrderPublic
from bizpilot.domain.product import ProductPublic

T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def _error_class(code: str, status: int) -> type[errors.BizpilotError]:
    for cls in (errors.ImportRejected, errors.UnsupportedFormat, errors.ValidationFailed, errors.NotFoundError,
                errors.ConflictError, errors.Unauthorized, errors.Forbidden):
        if cls.code == code:
            return cls
    by_status = {401: errors.Unauthorized, 403: errors.Forbidden, 404: errors.NotFoundError,
                 409: errors.ConflictError, 422: errors.ValidationFailed}
    return by_status.get(status, errors.BizpilotError)


class Resource(Generic[T]):
    """List/get one entity; ``iter_all`` walks every page."""

    def __init__(self, client: Client, name: str, model: type[T]) -> None:
        self._client, self.name, self.model = client, name, model

    def list(self, *, limit: int = 50, offset: int = 0, sort: str | None = None, q: str | None = None,
             **filters: Any) -> Page[T]:
        params = {"limit": limit, "offset": offset, "sort": sort, "q": q, **filters}
        data = self._client.request("GET", f"/{self.name}", params={k: v for k, v in params.items()
                                                                     if v is not None})
        return Page[self.model].model_validate(data)  # type: ignore[name-defined]

    def get(self, item_id: int) -> T:
        return self.model.model_validate(self._client.request("GET", f"/{self.name}/{item_id}"))

    def iter_all(self, *, page_size: int = 500, **filters: Any) -> Iterator[T]:
        offset = 0
        while True:
            page = self.list(limit=page_size, offset=offset, **filters)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return


class Imports:
    """Upload files for import and follow their runs."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def upload(self, entity: str, path: str | Path, *, strict: bool = False, wait: bool = False,
               timeout: float = 600.0) -> ImportRunStatus:
        path = Path(path)
        with path.open("rb") as fh:
            data = self._client.request("POST", "/imports", data={"entity": entity, "strict": str(strict).lower()},
                                        files={"file": (path.name, fh)})
        status = ImportRunStatus.model_validate(data)
        return self.wait(status.id, timeout=timeout) if wait else status

    def status(self, run_id: int) -> ImportRunStatus:
        return ImportRunStatus.model_validate(self._client.request("GET", f"/imports/{run_id}"))

    def wait(self, run_id: int, *, timeout: float = 600.0, poll: float = 0.2) -> ImportRunStatus:
        deadline = time.monotonic() + timeout
        status = self.status(run_id)
        while status.status == "running":
            if time.monotonic() > deadline:
                raise TimeoutError(f"import run {run_id} still running after {timeout:.0f} s")
            time.sleep(poll)
            status = self.status(run_id)
        return status

    def rejects(self, run_id: int, *, limit: int = 500) -> list[RejectedRow]:
        data = self._client.request("GET", f"/imports/{run_id}/rejects", params={"limit": limit})
        return [RejectedRow.model_validate(r) for r in data["rows"]]


class Client:
    """A session with one bizpilot server. Use as a context manager, or call :meth:`close`."""

    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/api/v1", headers=headers, timeout=timeout,
                                  transport=transport)
        self.accounts = Resource(self, "accounts", AccountPublic)
        self.contacts = Resource(self, "contacts", ContactPublic)
        self.products = Resource(self, "products", ProductPublic)
        self.orders = Resource(self, "orders", OrderPublic)
        self.order_lines = Resource(self, "order_lines", OrderLinePublic)
        self.interactions = Resource(self, "interactions", InteractionPublic)
        self.opportunities = Resource(self, "opportunities", OpportunityPublic)
        self.knowledge_articles = Resource(self, "knowledge_articles", KnowledgeArticlePublic)
        self.model_runs = Resource(self, "model_runs", ModelRunPublic)
        self.import_runs = Resource(self, "import_runs", ImportRunPublic)
        self.imports = Imports(self)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; error responses become bizpilot exceptions carrying the server's message/details."""
        response = self._http.request(method, path, **kwargs)
        if response.is_success:
            return response.json()
        try:
            body = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            body = {"code": "api_error", "message": response.text[:500] or response.reason_phrase, "details": []}
        if body.get("code") == errors.ModelNotReady.code:  # a model still training: its name and state say so
            raise errors.ModelNotReady(body.get("message", ""), model=str(body.get("model", "")),
                                       state=str(body.get("state", "")), details=body.get("details") or [])
        cls = _error_class(body.get("code", ""), response.status_code)
        exc = cls(body.get("message", ""), details=body.get("details") or [])
        exc.code = body.get("code") or exc.code  # e.g. database_not_ready, which has no class of its own here
        exc.status = response.status_code
        raise exc

    def health(self) -> dict[str, Any]:
        return self.request("GET", "/health")

    # -- AI features (plain dicts, as the API documents them in its OpenAPI schema) ------------------------------

    def recommend(self, account: int | str, *, n: int = 10, lang: str = "en",
                  category: str | None = None) -> dict[str, Any]:
        """Next-best products for an account (id or external id), each with a reason, plus its due reorders."""
        params: dict[str, Any] = {"n": n, "lang": lang}
        if category:
            params["category"] = category
        return self.request("GET", f"/recommend/accounts/{account}", params=params)

    def similar_products(self, product: int | str, *, n: int = 10) -> dict[str, Any]:
        return self.request("GET", f"/recommend/products/{product}/similar", params={"n": n})

    def ask(self, question: str, *, account: int | str | None = None, conversation_id: int | None = None,
            language: str | None = None) -> dict[str, Any]:
        """One assistant turn: an answer with its sources, or a hand-off with its ticket."""
        body = {"question": question, "account_id": None if account is None else str(account),
                "conversation_id": conversation_id, "language": language}
        return self.request("POST", "/assistant/ask", json=body)

    def analyse(self, text: str, *, language: str | None = None) -> dict[str, Any]:
        """Intent and sentiment of one message."""
        return self.request("POST", "/signals/analyse", json={"text": text, "language": language})

    def profile(self, account_id: int) -> dict[str, Any]:
        """The account's profile: segment, repurchase score and win probabilities with their factors."""
        return self.request("GET", f"/intelligence/accounts/{account_id}/profile")

    def forecasts(self, *, top: int = 20, product_id: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"top": top}
        if product_id is not None:
            params["product_id"] = product_id
        return self.request("GET", "/intelligence/forecasts", params=params)

    def stats(self) -> dict[str, int]:
        return self.request("GET", "/stats")["tables"]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
