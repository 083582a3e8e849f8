"""Routers of the pages that exist; add a new page's router to ``PAGE_ROUTERS`` (see ``bizpilot.web.pages``)."""

from __future__ import annotations

from fastapi import APIRouter

from bizpilot.web.routes import accounts, login, overview

PAGE_ROUTERS: list[APIRouter] = [overview.router, accounts.router]
# Pages anyone may open (signing in); everything in PAGE_ROUTERS needs a session, key or open reads.
PUBLIC_ROUTERS: list[APIRouter] = [login.router]
