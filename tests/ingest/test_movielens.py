"""MovieLens adapter: users -> accounts, movies -> products (genres as attributes), ratings -> reviews."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bizpilot.domain import Account, Interaction, Product
from bizpilot.errors import ValidationFailed
from bizpilot.ingest.movielens import import_movielens
from tests.conftest import shared_data
from tests.ingest.helpers import counts

pytestmark = pytest.mark.storage


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ml"
    folder.mkdir(parents=True)
    (folder / "u.data").write_text("1\t10\t4\t881250949\n1\t20\t2\t881250950\n2\t10\t5\t881250960\n")
    flags = ["0"] * 19
    action, comedy = flags.copy(), flags.copy()
    action[1], comedy[5] = "1", "1"
    (folder / "u.item").write_bytes(
        ("10|Heat (1995)|01-Jan-1995||http://example.org/heat|" + "|".join(action) + "\n"
         "20|Amélie (2001)|01-Jan-2001||http://example.org/amelie|" + "|".join(comedy) + "\n").encode("latin-1"))
    (folder / "u.user").write_text("1|24|M|technician|85711\n2|53|F|other|94043\n")
    return folder


def test_small_folder(engine: Engine, tmp_path: Path) -> None:
    report = import_movielens(_folder(tmp_path), engine=engine)
    assert report.tables["interactions"]["inserted"] == 3
    with engine.connect() as conn:
        heat = conn.execute(select(Product).where(Product.sku == "ml-i10")).one()
        assert heat.name == "Heat (1995)" and heat.category == "Action"
        assert heat.attributes["genres"] == ["Action"]
        amelie = conn.execute(select(Product.name).where(Product.sku == "ml-i20")).scalar_one()
        assert amelie == "Amélie (2001)"
        user = conn.execute(select(Account).where(Account.external_id == "ml-u1")).one()
        assert user.industry == "technician"
        ratings = conn.execute(select(Interaction.rating, Interaction.channel).order_by(Interaction.id)).all()
        assert [tuple(r) for r in ratings] == [(4.0, "review"), (2.0, "review"), (5.0, "review")]
    again = import_movielens(_folder(tmp_path / "again"), engine=engine)
    assert again.tables["interactions"] == {"inserted": 0, "updated": 0, "unchanged": 3}


def test_bad_rating_line_is_named(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "u.data"
    bad.write_text("1\t10\t4\t881250949\n1\t20\tseven\t881250950\n")
    with pytest.raises(ValidationFailed, match="line 2"):
        import_movielens(bad, engine=engine)


@pytest.mark.slow
def test_real_ml100k(engine: Engine) -> None:
    report = import_movielens(shared_data("movielens-100k"), engine=engine)
    got = counts(engine)
    assert (got["interactions"], got["accounts"], got["products"]) == (100_000, 943, 1_682)
    with engine.connect() as conn:
        by_value = dict(conn.execute(select(Interaction.rating, func.count()).group_by(Interaction.rating)).all())
    assert by_value == {1.0: 6_110, 2.0: 11_370, 3.0: 27_145, 4.0: 34_174, 5.0: 21_201}
    assert report.rows_read == 100_000
