"""`bizpilot ask "question"` (the service assistant, answers with sources or a hand-off) and `bizpilot kb ...`
(import documents into the knowledge base, sync articles, search, stats)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bizpilot.cli._common import (
    JsonOpt,
    err_console,
    handle_errors,
    print_json,
    print_outcome,
    print_table,
    workspace_session,
)

kb_app = typer.Typer(help="The assistant's knowledge base: import documents, sync articles, search.",
                     no_args_is_help=True)
EmbedOpt = Annotated[str | None, typer.Option("--embedder", help="e5 (zh+en) | minilm (en, faster) | none "
                                              "(keyword search only); default: BIZPILOT_KB_EMBEDDER (e5)")]


def _embedder(name: str | None) -> str | None:
    from bizpilot.config import get_settings
    from bizpilot.errors import ValidationFailed

    name = (name or get_settings().kb_embedder).lower()
    if name not in ("e5", "minilm", "none"):
        raise ValidationFailed(f"unknown --embedder {name!r}; one of: e5, minilm, none")
    return None if name == "none" else name


@handle_errors
def ask(
    question: Annotated[str, typer.Argument(help="The customer's message, e.g. \"where is my order 1043?\"")],
    account: Annotated[str | None, typer.Option("--account", help="Asking account (id or external id): order "
                                                "details are only shown to their account")] = None,
    conversation: Annotated[int | None, typer.Option("--conversation", help="Continue this conversation")] = None,
    embedder: EmbedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer from the knowledge base and the account's orders, with sources, or hand off to a person."""
    from bizpilot.services.assistant import ask as ask_service

    with workspace_session() as session:
        result = ask_service(session=session, question=question, account=account, conversation_id=conversation,
                             embedder=_embedder(embedder))
    if as_json:
        print_json(result.to_dict())
        return
    typer.echo(result.answer)
    for i, src in enumerate(result.sources, start=1):
        err_console.print(f"  [{i}] {src['citation']}", highlight=False, markup=False)
    flag = f"handed off ({result.handoff_reason}), ticket #{result.ticket_id}" if result.handoff else "answered"
    err_console.print(f"conversation {result.conversation_id}: {flag}; intent {result.intent} "
                      f"({result.intent_confidence:.2f}), sentiment {result.sentiment}, confidence "
                      f"{result.confidence:.2f}", highlight=False, markup=False)


@kb_app.command("import")
@handle_errors
def kb_import(
    path: Annotated[Path, typer.Argument(help="A file or folder: .md, .html, .txt, FAQ .csv (question,answer)")],
    embedder: EmbedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Chunk (keeping headings), embed and store documents; re-importing replaces a document's chunks."""
    from bizpilot.services.assistant import import_documents

    with workspace_session() as session:
        summary = import_documents(session=session, path=path, embedder=_embedder(embedder))
    print_outcome(as_json, summary.to_dict(), f"{len(summary.sources)} document(s), {summary.chunks} chunk(s): "
                  f"{summary.embedded} embedded, {summary.reused} unchanged ({summary.embedder or 'no embeddings'})")


@kb_app.command("sync")
@handle_errors
def kb_sync(embedder: EmbedOpt = None, as_json: JsonOpt = False) -> None:
    """Bring the chunks of the knowledge_articles table up to date."""
    from bizpilot.services.assistant import sync_articles

    with workspace_session() as session:
        summary = sync_articles(session=session, embedder=_embedder(embedder))
    print_outcome(as_json, summary.to_dict(), f"{len(summary.sources)} article(s), {summary.chunks} chunk(s): "
                  f"{summary.embedded} embedded, {summary.reused} unchanged, {summary.removed} removed")


@kb_app.command("search")
@handle_errors
def kb_search(
    query: Annotated[str, typer.Argument(help="What to look for")],
    k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
    embedder: EmbedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The chunks the assistant would retrieve for a question (hybrid BM25 + embeddings)."""
    from bizpilot.services.assistant.knowledge import ensure_articles, get_retriever

    with workspace_session() as session:
        emb = _embedder(embedder)
        ensure_articles(session=session, embedder=emb)
        hits = [h.to_dict() for h in get_retriever(session=session, embedder=emb).run(query, k=k)]
    if as_json:
        print_json({"query": query, "hits": hits})
        return
    print_table(f"kb search: {query}", ("#", "source", "score", "text"),
                ((str(h["rank"]), h["citation"], f"{h['score']:.4f}", h["text"][:100]) for h in hits))


@kb_app.command("stats")
@handle_errors
def kb_stats_cmd(as_json: JsonOpt = False) -> None:
    """How many chunks and sources the knowledge base holds, by embedding model."""
    from bizpilot.services.assistant import kb_stats

    with workspace_session() as session:
        stats = kb_stats(session=session)
    print_outcome(as_json, stats, stats)
