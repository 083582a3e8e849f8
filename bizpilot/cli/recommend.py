"""`bizpilot recommend --account ID`: next-best products for an account with a reason each, and its reorder-due
list; `--product SKU` lists similar products instead. Text to stderr-friendly tables, ``--json`` one object."""

from __future__ import annotations

from typing import Annotated

import typer

from bizpilot.cli._common import err_console, prepare_workspace, print_json, print_table, read_with_models
from bizpilot.errors import ValidationFailed


def recommend(
    account: Annotated[str | None, typer.Option("--account", help="Account id or external id")] = None,
    product: Annotated[str | None, typer.Option("--product", help="Product id or SKU: list similar products")] = None,
    n: Annotated[int, typer.Option("--n", min=1, max=200, help="How many products")] = 10,
    category: Annotated[str | None, typer.Option("--category", help="Only products of this category")] = None,
    lang: Annotated[str, typer.Option("--language", "-l", help="Language of the reasons: en or zh")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout")] = False,
) -> None:
    """Next-best products for an account (with reasons and reorder-due items), or products similar to one."""
    from bizpilot.db import get_engine
    from bizpilot.db.engine import session_scope
    from bizpilot.services.recommend import recommend_for_account, similar_products

    if (account is None) == (product is None):
        raise ValidationFailed("give exactly one of --account or --product")
    prepare_workspace()

    def similar() -> dict:
        with session_scope(get_engine()) as session:
            return similar_products(session=session, product=product, n=n)

    def next_best() -> dict:
        with session_scope(get_engine()) as session:
            return recommend_for_account(session=session, account=account, n=n, lang=lang, category=category)

    if product is not None:
        result = read_with_models(similar)
        if as_json:
            print_json(result)
            return
        print_table(f"similar to {result['product']['name']} ({result['product']['sku']})",
                    ("sku", "name", "category", "score"),
                    ((str(item["sku"]), str(item["name"]), str(item["category"] or ""), f"{item['score']:.3f}")
                     for item in result["items"]))
        return
    result = read_with_models(next_best)
    if as_json:
        print_json(result)
        return
    acct = result["account"]
    if result["fallback"]:
        err_console.print(f"[yellow]fallback[/]: {result['fallback_reason']}", highlight=False)
    print_table(f"next best for {acct['name']} ({acct['industry'] or 'no industry'})",
                ("#", "sku", "name", "score", "reason"),
                ((str(rank), str(item["sku"]), str(item["name"]), f"{item['score']:.3f}", item["reason"])
                 for rank, item in enumerate(result["items"], start=1)))
    if result["reorder"]:
        print_table("reorder due", ("sku", "name", "every", "last", "due", "status"),
                    ((str(item["sku"]), str(item["name"]), f"~{item['cycle_days']:.0f} d", item["last_purchase"],
                      item["due_date"], item["status"]) for item in result["reorder"][:n]))
