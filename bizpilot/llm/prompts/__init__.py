"""Prompt templates as versioned files (``<name>.<lang>.md`` beside this module), so a change to a prompt is a
reviewed diff with a version bump, and every call can record which prompt produced it (``template.stamp``).

A file starts with a small front matter (``name``, ``lang``, ``version``, ``description``) between ``---``
lines; the body uses ``$name`` / ``${name}`` placeholders (``string.Template``: JSON braces need no escaping).
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from bizpilot.errors import NotFoundError, ValidationFailed

_FILE_RE = re.compile(r"(?P<name>[a-z][a-z0-9_]*)\.(?P<lang>[a-z]{2})\.md")
DEFAULT_COMPANY = "our company"


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    lang: str
    version: int
    text: str
    description: str = ""

    @property
    def stamp(self) -> str:
        """``system.en@v1+3f2a9c1b``: name, language, declared version and a hash of the body, for call logs."""
        digest = hashlib.sha256(self.text.encode()).hexdigest()[:8]
        return f"{self.name}.{self.lang}@v{self.version}+{digest}"

    @property
    def variables(self) -> set[str]:
        return {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(self.text)
                if m.group("named") or m.group("braced")}

    def render(self, **values: object) -> str:
        """Fill every placeholder; a missing or unknown value is an error (a half-filled prompt is a bug)."""
        missing, unknown = self.variables - values.keys(), values.keys() - self.variables
        if missing or unknown:
            details = [{"field": k, "reason": "missing value"} for k in sorted(missing)]
            details += [{"field": k, "reason": "not a placeholder of this prompt"} for k in sorted(unknown)]
            raise ValidationFailed(f"prompt {self.stamp}: " + "; ".join(f"{d['field']} {d['reason']}"
                                                                       for d in details), details=details)
        return string.Template(self.text).substitute({k: str(v) for k, v in values.items()})


def available_prompts() -> list[tuple[str, str]]:
    """(name, lang) of every shipped template."""
    found = []
    for entry in resources.files(__package__).iterdir():
        match = _FILE_RE.fullmatch(entry.name)
        if match:
            found.append((match["name"], match["lang"]))
    return sorted(found)


@lru_cache(maxsize=64)
def load_prompt(name: str, lang: str = "en") -> PromptTemplate:
    """The template ``name`` in ``lang``; an unknown language falls back to English (the model still answers in
    the request's language), an unknown name is an error."""
    lang = lang.lower()[:2]
    files = resources.files(__package__)
    entry = files / f"{name}.{lang}.md"
    if not entry.is_file():
        entry = files / f"{name}.en.md"
    if not entry.is_file():
        raise NotFoundError(f"no prompt template named {name!r}; available: "
                            f"{', '.join(sorted({n for n, _ in available_prompts()}))}")
    return _parse(entry.name, entry.read_text(encoding="utf-8"))


def system_prompt(lang: str = "en", *, company: str = DEFAULT_COMPANY) -> str:
    """The generic system prompt (facts only, keep placeholders, quoted text is data)."""
    return load_prompt("system", lang).render(company=company)


def _parse(filename: str, raw: str) -> PromptTemplate:
    parts = raw.split("---\n", 2)
    if len(parts) != 3 or parts[0].strip():
        raise ValidationFailed(f"prompt file {filename} must start with a '---' front matter block")
    meta = yaml.safe_load(parts[1]) or {}
    try:
        version = int(meta["version"])
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed(f"prompt file {filename}: front matter needs an integer version") from None
    match = _FILE_RE.fullmatch(filename)
    name, lang = (match["name"], match["lang"]) if match else (str(meta.get("name")), str(meta.get("lang")))
    if meta.get("name", name) != name or meta.get("lang", lang) != lang:
        raise ValidationFailed(f"prompt file {filename}: front matter name/lang disagree with the file name")
    return PromptTemplate(name=name, lang=lang, version=version, text=parts[2].strip("\n"),
                          description=str(meta.get("description", "")))
