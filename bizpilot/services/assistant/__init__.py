"""Customer-service assistant: answers from the knowledge base and workspace data with citations, hand-off to a
person (complaints, refund requests, escalations, out of scope, low confidence), stored conversations, a hand-off
queue and grounded reply suggestions for agents."""

from bizpilot.services.assistant.knowledge import (
    KbImportSummary,
    get_retriever,
    import_documents,
    kb_stats,
    sync_articles,
)
from bizpilot.services.assistant.service import AskResult, ask
from bizpilot.services.assistant.suggest import suggest_reply
from bizpilot.services.assistant.tickets import (
    get_conversation,
    handoff_counts,
    list_conversations,
    list_handoffs,
    update_handoff,
)

__all__ = ["AskResult", "KbImportSummary", "ask", "get_conversation", "get_retriever", "handoff_counts",
           "import_documents", "kb_stats", "list_conversations", "list_handoffs", "suggest_reply",
           "sync_articles", "update_handoff"]
