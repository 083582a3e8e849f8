"""One unit of work (architecture issue 12), checked on the source of ``bizpilot/services/``: a service takes the
caller's ``session`` as a keyword-only argument and never commits; the edges (requests, pages, CLI commands) own
the transaction. Only the documented jobs take an engine and open transactions of their own.

The rules walk the AST of every module, so a new service is checked the day it is written.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "bizpilot" / "services"
EVERY = "*"

# Jobs that run in transactions of their own by design. Imports: each import is all-or-nothing on its own and its
# run record must survive a failed import. Background training (jobs.py) and the retrain schedule that queues it
# (schedule.py) run in threads, after the request that asked for them has ended.
ENGINE_ALLOWED: dict[str, set[str] | str] = {
    "imports.py": {"run_import", "start_upload_import"},
    "models/jobs.py": EVERY,
    "models/schedule.py": {"retrain_now", "RetrainSchedule.__init__"},
    "webhook_delivery.py": {"deliver_due", "DeliveryWorker.__init__"},  # sends after the commit, like a job
    # Backup and restore work on the whole database (SQLite's backup API, pg_dump/pg_restore, dropping the schema,
    # migrations), not on one unit of work: they are jobs of the CLI edge and open their own connections.
    "backup.py": {"create_backup", "database_kind", "pg_command", "snapshot_counts"},
    "restore.py": {"restore_backup", "workspace_contents"},
}
COMMIT_ALLOWED = {"imports.py", "models/jobs.py", "models/schedule.py", "webhook_delivery.py", "backup.py",
                  "restore.py"}

# Known debt, listed so that nothing new joins it; each entry must go once its module is converted (the test
# fails on an entry that no longer applies, so this list can only shrink).
KNOWN_OWN_TRANSACTION: dict[str, str] = {}
KNOWN_POSITIONAL_SESSION: dict[str, set[str]] = {}

# Calls that open a transaction or connection of the service's own (``begin_nested`` is a SAVEPOINT inside the
# caller's transaction and is fine).
_OWN_TRANSACTION_NAMES = {"session_scope", "sessionmaker", "session_factory", "Session"}
_OWN_TRANSACTION_ATTRS = {"begin", "connect"}
_DB_HANDLE_TYPES = {"Engine", "Connection", "AsyncEngine", "AsyncConnection"}

Signature = tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SERVICES.rglob("*.py")):
        yield path.relative_to(SERVICES).as_posix(), ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _public_functions(tree: ast.Module) -> Iterator[Signature]:
    """Module-level functions and the methods of classes (constructors included) that callers can reach."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                        item.name == "__init__" or not item.name.startswith("_")):
                    yield f"{node.name}.{item.name}", item


def _all_args(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    return [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]


def _takes_db_handle(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A parameter named ``engine``, or annotated with an Engine/Connection whatever its name."""
    for arg in _all_args(func):
        names = {n.id for n in ast.walk(arg.annotation) if isinstance(n, ast.Name)} if arg.annotation else set()
        names |= {n.attr for n in ast.walk(arg.annotation) if isinstance(n, ast.Attribute)} if arg.annotation else set()
        if arg.arg == "engine" or names & _DB_HANDLE_TYPES:
            return True
        if isinstance(arg.annotation, ast.Constant) and isinstance(arg.annotation.value, str):
            if any(t in arg.annotation.value for t in _DB_HANDLE_TYPES):
                return True
    return False


def _positional_session(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(arg.arg == "session" for arg in [*func.args.posonlyargs, *func.args.args])


def _calls(tree: ast.AST, *, attrs: set[str], names: set[str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in attrs:
            found.append((node.lineno, ast.unparse(node.func)))
        elif isinstance(node.func, ast.Name) and node.func.id in names:
            found.append((node.lineno, node.func.id))
    return found


def _allowed(allowed: dict[str, set[str] | str], module: str, name: str) -> bool:
    names = allowed.get(module, set())
    return names == EVERY or name in names


# --- the rules ------------------------------------------------------------------------------------------------


def test_services_take_no_engine_except_the_documented_jobs() -> None:
    found = {(module, name) for module, tree in _modules() for name, func in _public_functions(tree)
             if _takes_db_handle(func)}
    offenders = sorted(f"{module}: {name}" for module, name in found if not _allowed(ENGINE_ALLOWED, module, name))
    assert offenders == [], "take `*, session: Session` instead of an engine; the edge opens and commits it"
    stale = sorted(f"{module}: {name}" for module, names in ENGINE_ALLOWED.items() if names != EVERY
                   for name in names if (module, name) not in found)
    assert stale == [], "allowed engine parameters that no longer exist: remove them from ENGINE_ALLOWED"


def test_session_is_keyword_only() -> None:
    found = {(module, name) for module, tree in _modules() for name, func in _public_functions(tree)
             if _positional_session(func)}
    known = {(module, name) for module, names in KNOWN_POSITIONAL_SESSION.items() for name in names}
    assert sorted(found - known) == [], "a service takes `*, session: Session` (keyword-only)"
    assert sorted(known - found) == [], "converted to keyword-only: remove them from KNOWN_POSITIONAL_SESSION"


def test_no_service_commits_except_the_jobs() -> None:
    offenders = [f"{module}:{line} {call}()" for module, tree in _modules() if module not in COMMIT_ALLOWED
                 for line, call in _calls(tree, attrs={"commit"}, names=set())]
    assert offenders == [], "services never commit: the caller's session_scope/SessionDep does"


def test_no_service_opens_its_own_transaction_except_the_jobs() -> None:
    found = {module: _calls(tree, attrs=_OWN_TRANSACTION_ATTRS, names=_OWN_TRANSACTION_NAMES)
             for module, tree in _modules() if module not in COMMIT_ALLOWED}
    offenders = [f"{module}:{line} {call}()" for module, calls in found.items() if module not in KNOWN_OWN_TRANSACTION
                 for line, call in calls]
    assert offenders == [], "services work in the caller's session; they never open (and commit) one of their own"
    stale = sorted(module for module in KNOWN_OWN_TRANSACTION if not found.get(module))
    assert stale == [], "no longer opens a transaction: remove it from KNOWN_OWN_TRANSACTION"


def test_auth_follows_every_rule() -> None:
    """The last service converted: every use case takes a keyword-only session, no engine, and opens nothing."""
    tree = ast.parse((SERVICES / "auth.py").read_text(encoding="utf-8"))
    functions = dict(_public_functions(tree))
    use_cases = {"create_api_key", "authenticate_key", "list_api_keys", "revoke_api_key", "set_password",
                 "has_password", "check_password", "create_login_token", "consume_login_token", "create_session",
                 "session_principal", "end_session"}
    assert use_cases <= set(functions)
    assert all([arg.arg for arg in functions[name].args.kwonlyargs][0] == "session" for name in use_cases)
    assert [name for name, func in functions.items() if _takes_db_handle(func) or _positional_session(func)] == []
    assert _calls(tree, attrs={"commit", *_OWN_TRANSACTION_ATTRS}, names=_OWN_TRANSACTION_NAMES) == []
    assert [call for _, call in _calls(tree, attrs={"begin_nested"}, names=set())] == ["session.begin_nested"]


# --- the checker itself ---------------------------------------------------------------------------------------


def test_the_checker_sees_each_form() -> None:
    source = '''
def good(*, session: Session, name: str) -> None:
    with session.begin_nested():
        session.flush()

def positional(session, name): ...
def positional_only(session, /): ...
def by_engine(*, engine): ...
def renamed(*, db: "Engine"): ...
def by_connection(conn: sa.Connection): ...
def _private(session, engine): ...

class Worker:
    def __init__(self, engine: Engine) -> None: ...
    def run(self, session): ...
    def _helper(self, session, engine): ...

def writes(session):
    session.commit()
    with session_scope(engine) as s:
        pass
    with engine.begin() as conn:
        pass
    Session(engine)
'''
    tree = ast.parse(source)
    functions = dict(_public_functions(tree))
    assert sorted(functions) == ["Worker.__init__", "Worker.run", "by_connection", "by_engine", "good", "positional",
                                 "positional_only", "renamed", "writes"]
    assert sorted(n for n, f in functions.items() if _takes_db_handle(f)) == [
        "Worker.__init__", "by_connection", "by_engine", "renamed"]
    assert sorted(n for n, f in functions.items() if _positional_session(f)) == [
        "Worker.run", "positional", "positional_only", "writes"]
    assert [call for _, call in _calls(tree, attrs={"commit"}, names=set())] == ["session.commit"]
    assert sorted(call for _, call in _calls(tree, attrs=_OWN_TRANSACTION_ATTRS, names=_OWN_TRANSACTION_NAMES)) == [
        "Session", "engine.begin", "session_scope"]
