"""Routers of the pages that exist; add a new page's router to ``PAGE_ROUTERS`` (see ``bizpilot.web.pages``)."""

from __future__ import annotations

from fastapi import APIRouter

from bizpilot.web.routes import (
                                  accounts,
                                  content,
                                  forecasts,
                                  imports,
                                  insights,
                                  login,
                                  models,
                                  outreach,
                                  overview,
                                  pipeline,
                                  products,
                                  recommendations,
                                  service,
                                  settings,
                                  today,
                                  webhooks,
)

PAGE_ROUTERS: list[APIRouter] = [overview.router, accounts.router, imports.router, settings.router,
                                  content.router, forecasts.router, service.router, recommendations.router,
                                  models.router, pipeline.router, webhooks.router, today.router,
                                  outreach.router, products.router, insights.router]
# Pages anyone may open (signing in); everything in PAGE_ROUTERS needs a session, key or open reads.
# ``imports.upload_router`` authenticates and checks its role itself (see its module), to answer 403 pages;
# ``settings.profile_router`` authenticates itself too: any signed-in user, viewers included, sets their password.
PUBLIC_ROUTERS: list[APIRouter] = [login.router, imports.upload_router, settings.profile_router]
