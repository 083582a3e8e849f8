"""Security headers on pages and the API, and where uploads land on disk."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bizpilot.app import create_app
from bizpilot.services.imports import stored_upload_name
from bizpilot.web.pages import STATIC_DIR
from tests.api.conftest import auth_headers, new_key
from tests.web.conftest import sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "bizpilot" / "web" / "templates"


def _assert_hardened(resp: object) -> None:
    headers = resp.headers  # type: ignore[attr-defined]
    csp = headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_\-]{16,}'", directives["script-src"])
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/settings", "/accounts", "/imports", "/api/v1/docs"])
def test_pages_carry_security_headers(engine: Engine, path: str) -> None:
    resp = sign_in(TestClient(create_app()), engine).get(path)
    assert resp.status_code == 200
    _assert_hardened(resp)


@pytest.mark.parametrize("path", ["/api/v1/accounts", "/api/v1/health", "/login", "/static/app.css",
                                  "/api/v1/nowhere"])
def test_api_errors_and_public_answers_carry_them_too(engine: Engine, path: str) -> None:
    resp = TestClient(create_app()).get(path, headers=auth_headers(new_key(engine)))
    _assert_hardened(resp)


def test_each_response_gets_its_own_nonce_and_the_docs_script_carries_it(engine: Engine) -> None:
    client = sign_in(TestClient(create_app()), engine)
    first, second = client.get("/api/v1/docs"), client.get("/api/v1/docs")
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
    assert nonce not in second.headers["Content-Security-Policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", first.text)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)


def test_templates_have_no_inline_scripts_styles_or_handlers() -> None:
    """The policy allows no inline code: templates keep scripts and styles in /static files."""
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=\"", r"\son[a-z]+=\"",
                        r"javascript:"):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{template.relative_to(TEMPLATES)}: {pattern}")
    assert offenders == []


# --- uploads ------------------------------------------------------------------------------------------------

def test_stored_upload_names_are_generated() -> None:
    names = {stored_upload_name("../../etc/passwd.csv") for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{32}\.csv", name)
    assert stored_upload_name("Kunden Liste.CSV.GZ").endswith(".csv.gz")
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{32}\.xlsx", stored_upload_name("<script>.xlsx"))


def test_an_upload_lands_outside_the_served_paths_under_a_generated_name(engine: Engine, workspace: Path) -> None:
    client = TestClient(create_app(), headers=auth_headers(new_key(engine, "write")))
    content = b"name,industry,country\nUpload Probe GmbH,retail,DE\n"
    resp = client.post("/api/v1/imports", data={"entity": "accounts"},
                       files={"file": ("probe-name-42.csv", content, "text/csv")})
    assert resp.status_code in (200, 201, 202), resp.text
    deadline = time.monotonic() + 30
    stored: list[Path] = []
    while time.monotonic() < deadline and not stored:
        stored = [p for p in (workspace / "uploads").glob("*") if p.read_bytes() == content]
        time.sleep(0.05)
    assert len(stored) == 1
    path = stored[0].resolve()
    assert "probe-name-42" not in path.name
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{32}\.csv", path.name)
    assert not path.is_relative_to(STATIC_DIR.resolve())  # /static serves only the package's assets
    # nothing under a served URL returns it
    for url in (f"/static/{path.name}", f"/uploads/{path.name}", f"/static/../uploads/{path.name}"):
        assert client.get(url).status_code == 404
