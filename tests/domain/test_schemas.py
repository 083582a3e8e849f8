"""Create schemas reject what a person would call wrong, with the field named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bizpilot.domain.contact import ContactCreate, ContactUpdate
from bizpilot.domain.interaction import InteractionCreate
from bizpilot.domain.order import OrderCreate, OrderUpdate
from bizpilot.domain.product import ProductCreate


def test_product_price_must_not_be_negative() -> None:
    with pytest.raises(ValidationError) as exc:
        ProductCreate(sku="A", name="Valve", price=-1)
    assert exc.value.errors()[0]["loc"] == ("price",)


def test_product_defaults() -> None:
    p = ProductCreate(sku=" A1 ", name="Valve")
    assert p.sku == "A1" and p.active is True and p.attributes == {}


def test_contact_email_is_checked() -> None:
    with pytest.raises(ValidationError) as exc:
        ContactCreate(name="Li Wei", email="not-an-email")
    assert exc.value.errors()[0]["loc"] == ("email",)
    assert ContactCreate(name="Li Wei", email="li.wei@hengda.example").email == "li.wei@hengda.example"


def test_interaction_channel_is_one_of_the_known() -> None:
    with pytest.raises(ValidationError):
        InteractionCreate(channel="fax", occurred_at="2024-01-01")
    assert InteractionCreate(channel="review", occurred_at="2024-01-01", rating=4).rating == 4


def test_order_kind_and_discount_bounds() -> None:
    with pytest.raises(ValidationError):
        OrderCreate(external_id="O1", ordered_at="2024-01-01", kind="gift")
    with pytest.raises(ValidationError):
        OrderCreate(external_id="O1", ordered_at="2024-01-01",
                    lines=[{"sku": "A", "quantity": 1, "unit_price": 2, "discount": 1.5}])


def test_update_schemas_are_the_named_create_fields_optional_with_the_same_checks() -> None:
    assert list(OrderUpdate.model_fields) == ["status", "channel"]
    assert ContactUpdate(name="  Li Wei ").model_dump(exclude_unset=True) == {"name": "Li Wei"}
    with pytest.raises(ValidationError) as exc:
        ContactUpdate(email="not-an-email")
    assert exc.value.errors()[0]["loc"] == ("email",)
    with pytest.raises(ValidationError):
        OrderUpdate(status="lost in the post")
