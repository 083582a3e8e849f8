"""Domain concepts: one module per concept (table model + Create/Update/Public schemas) and a registry.

The registry is what makes adding a concept cheap: the API list/detail routes, ``bizpilot stats`` and the
dashboard tables are all driven from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from bizpilot.db.base import Base
from bizpilot.domain.account import Account, AccountCreate, AccountPublic, AccountUpdate
from bizpilot.domain.audit import AuditEntry, AuditEntryPublic  # noqa: F401
from bizpilot.domain.contact import Contact, ContactCreate, ContactPublic, ContactUpdate
from bizpilot.domain.conversation import (  # noqa: F401  (own API: bizpilot/api/assistant.py)
    Conversation,
    ConversationMessage,
    HandoffTicket,
)
from bizpilot.domain.glossary import GlossaryTerm, GlossaryTermCreate, GlossaryTermPublic, GlossaryTermUpdate
from bizpilot.domain.industry import AccountIndustry, IndustryLabel  # noqa: F401  (own API: bizpilot/api/industry.py)
from bizpilot.domain.interaction import (
    Interaction,
    InteractionCreate,
    InteractionPublic,
    InteractionUpdate,
)
from bizpilot.domain.invoice import Invoice, InvoiceCreate, InvoicePublic, InvoiceUpdate
from bizpilot.domain.kb import KbChunk  # noqa: F401  (search index rows, not in ENTITIES)
from bizpilot.domain.knowledge import (
    KnowledgeArticle,
    KnowledgeArticleCreate,
    KnowledgeArticlePublic,
    KnowledgeArticleUpdate,
)
from bizpilot.domain.model_run import ModelOutput, ModelRun, ModelRunPublic  # noqa: F401
from bizpilot.domain.opportunity import (
    Opportunity,
    OpportunityCreate,
    OpportunityPublic,
    OpportunityUpdate,
)
from bizpilot.domain.ops import (
    GeneratedContent,
    GeneratedContentPublic,
    ImportRun,
    ImportRunPublic,
)
from bizpilot.domain.order import (
    Order,
    OrderCreate,
    OrderLine,
    OrderLinePublic,
    OrderPublic,
    OrderUpdate,
)
from bizpilot.domain.outreach import OutboxMessage, Sequence, SequenceEnrollment  # noqa: F401
from bizpilot.domain.product import Product, ProductCreate, ProductPublic, ProductUpdate
from bizpilot.domain.security import ApiKey, LoginToken, WebSession, WorkspaceSetting  # noqa: F401  (not in ENTITIES)
from bizpilot.domain.task import Task, TaskCreate, TaskPublic, TaskUpdate  # noqa: F401
from bizpilot.domain.user import User, UserCreate, UserPublic  # noqa: F401
from bizpilot.domain.webhook import WebhookDelivery, WebhookSubscription  # noqa: F401


@dataclass(frozen=True)
class EntityInfo:
    """How an entity is exposed: its table, public schema, and which columns lists may filter, sort and search."""

    name: str
    model: type[Base]
    public: type[BaseModel]
    filterable: tuple[str, ...] = ()
    sortable: tuple[str, ...] = ("id",)
    searchable: tuple[str, ...] = ()
    default_sort: str = "id"
    create: type[BaseModel] | None = None
    update: type[BaseModel] | None = None
    labels: dict[str, str] = field(default_factory=dict)


ENTITIES: dict[str, EntityInfo] = {
    info.name: info
    for info in (
        EntityInfo("accounts", Account, AccountPublic, ("industry", "country", "tier", "size_band", "region"),
                   ("id", "name", "created_at", "country", "industry"), ("name", "external_id", "description"),
                   "name", AccountCreate, AccountUpdate),
        EntityInfo("contacts", Contact, ContactPublic, ("account_id", "language"), ("id", "name", "created_at"),
                   ("name", "email"), "name", ContactCreate, ContactUpdate),
        EntityInfo("products", Product, ProductPublic, ("category", "currency", "active", "language"),
                   ("id", "sku", "name", "price", "category"), ("sku", "name", "description"), "sku",
                   ProductCreate, ProductUpdate),
        EntityInfo("orders", Order, OrderPublic, ("account_id", "kind", "status", "country", "is_guest"),
                   ("id", "ordered_at", "external_id"), ("external_id",), "-ordered_at", OrderCreate, OrderUpdate),
        EntityInfo("order_lines", OrderLine, OrderLinePublic, ("order_id", "product_id", "line_type"),
                   ("id", "quantity", "unit_price"), (), "id"),
        EntityInfo("interactions", Interaction, InteractionPublic,
                   ("channel", "direction", "account_id", "product_id", "language"), ("id", "occurred_at", "rating"),
                   ("subject", "text"), "-occurred_at", InteractionCreate, InteractionUpdate),
        EntityInfo("opportunities", Opportunity, OpportunityPublic, ("account_id", "stage", "outcome", "owner"),
                   ("id", "created_at", "amount", "closed_at"), ("name",), "-created_at", OpportunityCreate,
                   OpportunityUpdate),
        EntityInfo("invoices", Invoice, InvoicePublic, ("account_id", "order_id", "status", "currency"),
                   ("id", "issued_at", "due_at", "amount", "number"), ("number", "external_id"), "-issued_at",
                   InvoiceCreate, InvoiceUpdate),
        EntityInfo("knowledge_articles", KnowledgeArticle, KnowledgeArticlePublic, ("category", "language"),
                   ("id", "title", "updated_at"), ("title", "body"), "title", KnowledgeArticleCreate,
                   KnowledgeArticleUpdate),
        EntityInfo("model_runs", ModelRun, ModelRunPublic, ("task", "status"), ("id", "started_at"), ("model_name",),
                   "-started_at"),
        EntityInfo("generated_content", GeneratedContent, GeneratedContentPublic, ("kind", "status", "language"),
                   ("id", "created_at"), ("output",), "-created_at"),
        EntityInfo("import_runs", ImportRun, ImportRunPublic, ("entity", "status"), ("id", "started_at"), ("source",),
                   "-started_at"),
        EntityInfo("glossary_terms", GlossaryTerm, GlossaryTermPublic, ("kind",), ("id", "key", "updated_at"),
                   ("key", "en", "zh"), "key", GlossaryTermCreate, GlossaryTermUpdate),
    )
}

__all__ = [
    "ENTITIES", "EntityInfo", "Account", "Contact", "Product", "Order", "OrderLine", "Interaction", "Opportunity",
    "Invoice", "KnowledgeArticle", "ModelRun", "GeneratedContent", "ImportRun", "GlossaryTerm",
]
