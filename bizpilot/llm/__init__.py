"""The LLM layer: one backend contract, backends chosen by name (``BIZPILOT_LLM_BACKEND``), guards for personal
data and untrusted text, versioned prompt templates.

    from bizpilot.llm import ChatOptions, Message, get_backend
    answer = get_backend().generate([Message.user("Hello")], ChatOptions(max_tokens=64))

Importing this package (which any ``bizpilot.llm.*`` import does first) registers the built-in backends
(``local``, ``openai``, ``scripted``); none of them loads anything until it is built.
"""

from __future__ import annotations

from bizpilot.llm import local, openai_compat, scripted  # noqa: F401  (register the built-in backends)
from bizpilot.llm.base import (
    ChatOptions,
    ChatStream,
    Completion,
    LLMBackend,
    Message,
    StreamEnd,
    Usage,
)
from bizpilot.llm.calllog import CallLog
from bizpilot.llm.guards import Redactor, quote_untrusted
from bizpilot.llm.registry import (
    BACKENDS,
    backend_class,
    clear_cache,
    get_backend,
    register_backend,
)

__all__ = [
    "BACKENDS", "CallLog", "ChatOptions", "ChatStream", "Completion", "LLMBackend", "Message", "Redactor",
    "StreamEnd", "Usage", "backend_class", "clear_cache", "get_backend", "quote_untrusted", "register_backend",
]
