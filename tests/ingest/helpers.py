"""Small files written by tests: CSV text in, a path out."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from bizpilot.services.stats import table_counts

ACCOUNTS_CSV = """Customer ID,Company Name,Industry,Country,Tier,Description
A1,Acme Industrial GmbH,Manufacturing,Germany,key,Makes pumps and valves.
A2,苏州恒达精密机械有限公司,Manufacturing,China,strategic,精密零部件制造商。
A3,Bright Hotels Ltd,Hospitality,United Kingdom,standard,
"""

PRODUCTS_CSV = """SKU,Product Name,Category,Unit Price,Currency,attr:material,attr:voltage
P-100,Centrifugal pump 2HP,Pumps,"1,250.00",EUR,cast iron,230V
P-200,Ball valve DN50,Valves,89.9,EUR,stainless steel,
P-300,Nitrile gloves (100),Safety,12.5,EUR,nitrile,
"""

ORDERS_CSV = """Order Number,Customer ID,Order Date,SKU,Qty,Unit Price,Discount
SO-1,A1,2024-01-05,P-100,2,1250,0.05
SO-1,A1,2024-01-05,P-200,10,89.9,0
SO-2,A2,2024-02-11 10:30:00,P-300,200,12.5,0.1
SO-3,,2024-03-01,P-300,5,12.5,0
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def write_rows(tmp_path: Path, name: str, *rows: str) -> Path:
    """A CSV file of ``rows`` (the header first), one per line."""
    return write(tmp_path, name, "".join(f"{row}\n" for row in rows))


def counts(engine: Engine) -> dict[str, int]:
    """Row counts of the business tables (import_runs is a log and grows on purpose)."""
    from bizpilot.db.engine import session_scope

    with session_scope(engine) as session:
        return {k: v for k, v in table_counts(session=session).items() if k != "import_runs"}
