"""The schema comes from Alembic migrations and matches the models on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from bizpilot.db.base import Base
from bizpilot.db.migrate import alembic_config, current_revision, upgrade
from bizpilot.domain import Product

pytestmark = pytest.mark.storage
HEAD = "0010"

EXPECTED_TABLES = {"accounts", "contacts", "products", "orders", "order_lines", "interactions", "opportunities",
                   "knowledge_articles", "model_runs", "generated_content", "import_runs", "conversations",
                   "conversation_messages", "handoff_tickets", "kb_chunks", "model_outputs", "glossary_terms",
                   "users", "audit_log", "tasks", "sequences", "sequence_enrollments", "outbox_messages",
                   "webhook_subscriptions", "webhook_deliveries", "industry_labels", "account_industries",
                   "invoices"}


def test_upgrade_creates_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert EXPECTED_TABLES <= tables
    assert "alembic_version" in tables
    assert current_revision(engine) == HEAD


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == HEAD


def test_the_glossary_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    assert "glossary_terms" not in inspect(engine).get_table_names() and current_revision(engine) == "0004"
    upgrade(engine)
    assert "glossary_terms" in inspect(engine).get_table_names() and current_revision(engine) == HEAD


def test_the_work_migration_keeps_existing_rows_at_version_1(engine: Engine) -> None:
    """Rows that existed before migration 0006 get version 1 (optimistic concurrency starts there)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO accounts (external_id, name, created_at) VALUES ('A1', 'Acme', '2025-01-01')"))
    upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT version, archived_at, owner_id FROM accounts")).one()
    assert tuple(row) == (1, None, None)


def test_the_expected_close_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    """0007 adds ``opportunities.expected_close`` (empty on existing deals) and takes it away again."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO opportunities (external_id, name, stage, created_at, outcome, version) "
                          "VALUES ('opp-1', 'Spring fair', 'proposal', '2025-01-01', 'open', 1)"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    columns = {c["name"] for c in inspect(engine).get_columns("opportunities")}
    assert "expected_close" not in columns and current_revision(engine) == "0006"
    upgrade(engine)
    assert "expected_close" in {c["name"] for c in inspect(engine).get_columns("opportunities")}
    with engine.connect() as conn:
        row = conn.execute(text("SELECT external_id, expected_close FROM opportunities")).one()
    assert tuple(row) == ("opp-1", None) and current_revision(engine) == HEAD


def test_json_attributes_round_trip(engine: Engine) -> None:
    attrs = {"material": "不锈钢", "sizes": [1, 2], "certified": True}
    with engine.begin() as conn:
        conn.execute(Product.__table__.insert().values(sku="S1", name="Pump", attributes=attrs, price=12.5))
    with engine.connect() as conn:
        row = conn.execute(select(Product.attributes, Product.price)).one()
    assert row.attributes == attrs
    assert row.price == pytest.approx(12.5)


def test_the_industry_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    """0008 adds the taxonomy and review tables and takes them away again (accounts keep their industry)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    tables = set(inspect(engine).get_table_names())
    assert not {"industry_labels", "account_industries"} & tables and current_revision(engine) == "0007"
    upgrade(engine)
    assert {"industry_labels", "account_industries"} <= set(inspect(engine).get_table_names())


def test_the_invoices_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    """0010 adds ``invoices`` with its checks (due after issue, paid within the amount) and takes it away again."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO accounts (external_id, name, created_at, version) "
                          "VALUES ('A1', 'Acme', '2025-01-01', 1)"))
        account_id = conn.execute(text("SELECT id FROM accounts")).scalar_one()
        conn.execute(text("INSERT INTO invoices (external_id, account_id, number, issued_at, due_at, amount, "
                          "amount_paid, status, created_at) VALUES ('I1', :a, 'INV-1', '2025-01-01', '2025-01-31', "
                          "100, 0, 'open', '2025-01-01')"), {"a": account_id})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO invoices (external_id, account_id, number, issued_at, due_at, amount, "
                          "amount_paid, status, created_at) VALUES ('I2', :a, 'INV-2', '2025-01-31', '2025-01-01', "
                          "100, 0, 'open', '2025-01-01')"), {"a": account_id})
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    assert "invoices" not in inspect(engine).get_table_names() and current_revision(engine) == "0009"
    upgrade(engine)
    assert "invoices" in inspect(engine).get_table_names() and current_revision(engine) == HEAD
