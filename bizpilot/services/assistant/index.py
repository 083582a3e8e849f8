"""Keeping the knowledge index in step with the articles without making a customer wait for it.

When articles were added, edited or deleted since their chunks were made, the CLI (a person who asked and waits)
brings the index up to date at once; a request from the API or a page queues the knowledge index for background
training instead and answers from the index as it is, so no request embeds documents."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bizpilot.services.assistant.knowledge import CONFIGURED, articles_stale, sync_articles
from bizpilot.services.assistant.specs import KNOWLEDGE
from bizpilot.services.models import jobs


def refresh_index(*, session: Session, embedder: str | None = CONFIGURED, wait: bool = True) -> bool:
    """Bring stale article chunks up to date (``wait``) or queue that as a background job; True when stale."""
    if not articles_stale(session=session):
        return False
    if wait:
        sync_articles(session=session, embedder=embedder)
    else:
        jobs.request_training(KNOWLEDGE, engine=session.get_bind(), trigger="on demand")  # type: ignore[arg-type]
    return True


__all__ = ["refresh_index"]
