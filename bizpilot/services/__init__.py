"""Use cases shared by every edge (API, web pages, CLI): keyword-only functions over a SQLAlchemy Session.

Nothing in this package imports FastAPI or Starlette, so the same code serves HTTP, the CLI and tests.
"""
