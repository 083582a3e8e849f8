"""Python client for the bizpilot REST API.

    from bizpilot.client import Client, Conflict
    with Client("http://127.0.0.1:8000", api_key="bp_...") as bp:
        page = bp.accounts.list(industry="manufacturing", owner="me", sort="-created_at", limit=20)
        acme = bp.accounts.update(page.items[0].id, version=page.items[0].version, tier="key")
        bp.pipeline.move(42, stage="won", reason="signed the yearly contract")
        for task in bp.tasks.list(owner="me", status="active")["items"]: ...
        xlsx = bp.accounts.export(format="xlsx", owner="me")
        run = bp.imports.upload("products", "products.csv", wait=True)

Records (lists, details and writes of accounts, contacts, products, opportunities, interactions) come back as the
API's own pydantic models; everything else as the JSON the API documents (dicts), downloads and calendar
invitations as bytes. Errors come back as the exception classes the server raised (``NotFoundError``,
``ValidationFailed``, ``Forbidden``, ``Unauthorized``, ``ModelNotReady``...) with its message and details; a 409
is :class:`Conflict` (``current_version`` when a stale version was sent), a refused send :class:`SendFailed`.
"""

from __future__ import annotations

from typing import Any

import httpx

from bizpilot.client._http import UNSET, Conflict, Connection, ExportFormat, SendFailed
from bizpilot.client.admin import Industry, Webhooks
from bizpilot.client.invoices import Invoices
from bizpilot.client.outreach import Outbox, Sequences
from bizpilot.client.records import Imports, Interactions, Orders, OrderWithLines, Page, Records, Resource
from bizpilot.client.work import Pipeline, Tasks, Users
from bizpilot.domain.account import AccountPublic
from bizpilot.domain.contact import ContactPublic
from bizpilot.domain.interaction import InteractionPublic
from bizpilot.domain.invoice import InvoicePublic
from bizpilot.domain.knowledge import KnowledgeArticlePublic
from bizpilot.domain.model_run import ModelRunPublic
from bizpilot.domain.opportunity import OpportunityPublic
from bizpilot.domain.ops import ImportRunPublic
from bizpilot.domain.order import OrderLinePublic, OrderPublic
from bizpilot.domain.product import ProductPublic


class Client(Connection):
    """A session with one bizpilot server. Use as a context manager, or call :meth:`close`."""

    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(base_url, api_key, timeout=timeout, transport=transport)
        self.accounts = Records(self, "accounts", AccountPublic)
        self.contacts = Records(self, "contacts", ContactPublic)
        self.products = Records(self, "products", ProductPublic)
        self.opportunities = Records(self, "opportunities", OpportunityPublic)
        self.interactions = Interactions(self, "interactions", InteractionPublic)
        self.orders = Orders(self, "orders", OrderPublic)
        self.order_lines = Resource(self, "order_lines", OrderLinePublic)
        self.invoices = Invoices(self, "invoices", InvoicePublic)
        self.knowledge_articles = Resource(self, "knowledge_articles", KnowledgeArticlePublic)
        self.model_runs = Resource(self, "model_runs", ModelRunPublic)
        self.import_runs = Resource(self, "import_runs", ImportRunPublic)
        self.imports = Imports(self)
        self.users = Users(self)
        self.pipeline = Pipeline(self)
        self.tasks = Tasks(self)
        self.outbox = Outbox(self)
        self.sequences = Sequences(self)
        self.webhooks = Webhooks(self)
        self.industry = Industry(self)

    def health(self) -> dict[str, Any]:
        return self.request("GET", "/health")

    def export(self, path: str, *, format: ExportFormat = "csv", lang: str | None = None,
               **params: Any) -> bytes:
        """Any other list as a file with its filters, e.g. ``export("/intelligence/at-risk", format="xlsx")``,
        ``/intelligence/segments/{key}/accounts``, ``/intelligence/accounts/{id}/reorders``."""
        return self.download(path, format=format, params={**params, "lang": lang})

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

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["UNSET", "Client", "Conflict", "Imports", "Industry", "Interactions", "OrderWithLines", "Orders",
           "Outbox", "Page", "Pipeline", "Records", "Resource", "SendFailed", "Sequences", "Tasks", "Users",
           "Webhooks"]
