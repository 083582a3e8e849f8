"""The API contract under fuzzing: Schemathesis walks every operation of ``/api/v1/openapi.json`` against the app
in-process (ASGI) with an admin key, on a small seeded workspace, and fails on any 5xx, any response that breaks
its documented schema (datetimes with an offset included) and any status code the schema does not list.

The budget is fixed so the run is stable: a fixed seed, deterministic generation, no example database, the
schema's examples plus ``FUZZ_EXAMPLES`` fuzzed cases per operation and generation mode. Positive and negative
cases both run: invalid input must be a documented 4xx, never a 500. Every datetime in a JSON answer must carry
its offset. The figures of a run go to test-artifacts/fuzz-contract.json.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bizpilot.app import create_app
from bizpilot.config import reset_settings
from bizpilot.db import get_engine, reset_engine, upgrade
from bizpilot.ingest.demo import generate_demo, seed_glossary
from bizpilot.ingest.pipeline import import_frame
from bizpilot.llm import clear_cache
from tests.api.conftest import auth_headers, new_key

FUZZ_SEED = 16
FUZZ_EXAMPLES = 15
CONFIG = schemathesis.Config.from_dict({
    "seed": FUZZ_SEED,
    "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES, "deterministic": True, "database": "none",
                   "no-shrink": True},
    # The coverage phase is built while pytest collects (about a minute of CPU for 140 operations, paid by every
    # run that collects tests/api): off here; its boundary cases (one past each bound) are in test_contract.py.
    "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
})
SCRIPT = {"default": "Thank you for your message; we will get back to you with the details today."}
SEED_ROWS = {"accounts": 8, "products": 40, "knowledge": 6}
REPORT = Path("test-artifacts") / "fuzz-contract.json"

pytestmark = pytest.mark.slow  # a few minutes on 2 cores: `make test` and CI run it, `make test-fast` does not

_stats: dict[str, Any] = {"cases": 0, "operations": set(), "started": None}


@schemathesis.check
def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """Any 5xx fails, except the documented 503 of a model still training (``model_not_ready``, with
    Retry-After): the fuzzing queues trainings itself, so that answer is the contract, not a fault."""
    if response.status_code < 500:
        return
    if response.status_code == 503 and "retry-after" in response.headers:
        error = (response.json() or {}).get("error", {})
        if error.get("code") == "model_not_ready":
            return
    raise AssertionError(f"{case.operation.label} answered {response.status_code}: {response.text[:300]}")


NAIVE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _naive_datetimes(value: Any, where: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _naive_datetimes(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _naive_datetimes(item, f"{where}[{index}]")
    elif isinstance(value, str) and NAIVE_DATETIME.match(value):
        yield f"{where.lstrip('.')}={value}"


@schemathesis.check
def aware_datetimes(ctx: Any, response: Any, case: Any) -> None:
    """Every datetime in a JSON answer carries its offset, also in routes whose schema is a free-form object
    (where the date-time format cannot say so)."""
    if not any("json" in value for value in response.headers.get("content-type", [])):  # lowercase keys, lists
        return
    naive = list(_naive_datetimes(response.json()))
    assert not naive, f"{case.operation.label}: datetimes without an offset: {naive[:5]}"


CHECKS = [no_server_error, status_code_conformance, response_schema_conformance, content_type_conformance,
          aware_datetimes]


def _tuples_as_arrays(node: Any) -> Any:
    """Schemathesis 4 rewrites a nested ``prefixItems`` (a tuple, valid OpenAPI 3.1) into draft-4 ``items: [...]``
    and then rejects its own rewrite as an invalid response schema; validate such a tuple as an array of its
    element types with the same length instead (the only such field: the signals' ``top_intents`` pairs)."""
    if isinstance(node, list):
        return [_tuples_as_arrays(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _tuples_as_arrays(value) for key, value in node.items()}
    if "prefixItems" in out and "items" not in out:
        out["items"] = {"anyOf": out.pop("prefixItems")}
    return out


def _seed(engine: Any) -> None:
    """A small slice of the demo (a few accounts with their contacts, orders, deals and messages), so detail
    routes answer 200 with real rows and their response schemas are checked too."""
    frames = generate_demo(seed=FUZZ_SEED)
    accounts = frames["accounts"].head(SEED_ROWS["accounts"])
    keep = set(accounts["external_id"])
    products = frames["products"].head(SEED_ROWS["products"])
    skus = set(products["sku"])
    sliced = {
        "accounts": accounts, "products": products,
        "contacts": frames["contacts"][frames["contacts"]["account_external_id"].isin(keep)],
        "orders": frames["orders"][frames["orders"]["account_external_id"].isin(keep)
                                   & frames["orders"]["sku"].isin(skus)].head(300),
        "interactions": frames["interactions"][frames["interactions"]["account_external_id"].isin(keep)].head(60),
        "opportunities": frames["opportunities"][frames["opportunities"]["account_external_id"].isin(keep)],
        "knowledge": frames["knowledge"].head(SEED_ROWS["knowledge"]),
    }
    invoices = frames["invoices"]
    sliced["invoices"] = invoices[invoices["order_external_id"].isin(sliced["orders"]["external_id"])]
    seed_glossary(engine)
    for entity in frames:
        import_frame(entity, sliced[entity], source=f"fuzz:{entity}", engine=engine)


@pytest.fixture(scope="module")
def fuzz_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite workspace with a few rows, the scripted LLM and an admin key (returned)."""
    root = tmp_path_factory.mktemp("fuzz")
    script = root / "llm.json"
    script.write_text(json.dumps(SCRIPT), encoding="utf-8")
    env = pytest.MonkeyPatch()
    env.setenv("BIZPILOT_HOME", str(root / "ws"))
    env.delenv("BIZPILOT_DATABASE_URL", raising=False)
    env.setenv("BIZPILOT_LLM_BACKEND", "scripted")
    env.setenv("BIZPILOT_LLM_MODEL_PATH", str(script))
    env.setenv("BIZPILOT_LLM_CALL_LOG", "0")
    reset_settings()
    reset_engine()
    clear_cache()
    engine = get_engine()
    upgrade(engine)
    _seed(engine)
    key = new_key(engine, "admin", name="fuzz-admin")
    try:
        yield key
    finally:
        from bizpilot.services.models import jobs

        try:
            jobs.wait(timeout=900)
        finally:
            jobs.forget_jobs()
            clear_cache()
            reset_engine()
            env.undo()
            reset_settings()


@pytest.fixture(scope="module")
def fuzz_app(fuzz_workspace: str) -> Any:
    return create_app()


# The schema the app serves, built without touching any workspace (the app is only called inside the test), so
# pytest collects one test per operation.
schema = schemathesis.openapi.from_dict(_tuples_as_arrays(create_app().openapi()), config=CONFIG)


@schema.parametrize()
def test_api_contract_under_fuzzing(case: Any, fuzz_app: Any, fuzz_workspace: str) -> None:
    if _stats["started"] is None:
        _stats["started"] = time.perf_counter()
    _stats["cases"] += 1
    _stats["operations"].add(case.operation.label)
    case.call_and_validate(app=fuzz_app, headers=auth_headers(fuzz_workspace), checks=CHECKS)


def test_fuzz_report() -> None:
    """Runs after the fuzzing (same module, defined after it): every operation of the schema was called; the
    figures go to test-artifacts/fuzz-contract.json."""
    spec = create_app().openapi()
    operations = {f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item
                  if m in ("get", "post", "put", "patch", "delete")}
    if not _stats["operations"]:
        pytest.skip("the fuzzing test did not run in this session (deselected)")
    elapsed = time.perf_counter() - _stats["started"]
    summary = {"operations": len(_stats["operations"]), "cases": _stats["cases"], "seconds": round(elapsed, 1),
               "seed": FUZZ_SEED, "fuzz_examples_per_operation": FUZZ_EXAMPLES}
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"\nfuzzed {summary['operations']} operations, {summary['cases']} cases in {elapsed:.1f} s")
    assert sorted(operations - _stats["operations"]) == []
