"""A small hand-made catalog for the edge tests (CLI, API, page): fast on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bizpilot.domain.account import Account
from bizpilot.domain.opportunity import Opportunity
from bizpilot.domain.order import Order, OrderLine
from bizpilot.domain.product import Product


def seed_small(engine: Engine) -> None:
    with Session(engine) as s:
        glue = Product(sku="ADH-2001", name="Thread Locker 400 mL grey", category="Adhesives & Sealants",
                       attributes={"volume": "400 mL", "color": "grey", "cure_time": "30 min"}, price=30.45,
                       currency="USD", unit="each", stock_qty=56, language="en")
        glue2 = Product(sku="ADH-2002", name="Thread Locker 250 mL blue", category="Adhesives & Sealants",
                        attributes={"volume": "250 mL", "color": "blue", "cure_time": "10 min"}, price=22.10,
                        currency="USD", unit="each", stock_qty=12, language="en")
        mask = Product(sku="PPE-2001", name="一次性防护口罩 XL 白色 200装", category="Safety Gear",
                       attributes={"size": "XL", "color": "white", "pack_size": "200"}, price=38.15,
                       currency="USD", unit="box", stock_qty=185, language="zh")
        acc = Account(external_id="ACC-T1", name="Evergreen Hospitality Group Ltd", industry="hospitality",
                      country="United Kingdom", region="Scotland", tier="standard", language="en")
        s.add_all([glue, glue2, mask, acc])
        s.flush()
        for n, (day, qty) in enumerate([(datetime(2024, 3, 5), 12), (datetime(2024, 6, 1), 8)], start=1):
            order = Order(external_id=f"ORD-T{n}", account_id=acc.id, ordered_at=day, currency="USD")
            s.add(order)
            s.flush()
            s.add(OrderLine(order_id=order.id, line_no=1, product_id=glue.id, quantity=qty, unit_price=30.45))
        s.add(Opportunity(external_id="OPP-T1", account_id=acc.id, name="Evergreen – Adhesives restock",
                          stage="negotiation", amount=4200, currency="USD", created_at=datetime(2024, 7, 1)))
        s.commit()
