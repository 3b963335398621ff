"""A person's time zone and default card (settings), on the real database."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from tests.wallet.helpers import bind, card_for, id_for, make_person
from wallet.errors import CardNotFound
from wallet.idnumber import validate_id_number
from wallet.models import cards as cards_table
from wallet.services import cards, people
from wallet.uow import transaction


async def test_time_zone_defaults_to_shanghai_and_only_real_zones_are_kept(ctx):
    await people.open_wallet(ctx, key="o1", user_id=1)
    assert (await people.profile(ctx, 1))["timezone"] == "Asia/Shanghai"
    await people.set_timezone(ctx, 1, "Europe/Berlin")
    assert (await people.profile(ctx, 1))["timezone"] == "Europe/Berlin"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "Europe/Berlin" * 10):
        assert not people.valid_timezone(bad)
        with pytest.raises(ValueError):
            await people.set_timezone(ctx, 1, bad)
    assert (await people.profile(ctx, 1))["timezone"] == "Europe/Berlin"


async def test_birth_date_comes_from_the_id_number_on_file(ctx):
    await people.open_wallet(ctx, key="o1", user_id=1)
    assert await people.birth_date(ctx, 1) is None
    await bind(ctx, 1)
    born = await people.birth_date(ctx, 1)
    assert isinstance(born, date) and born == validate_id_number(id_for(1)).birth_date


async def test_default_card_is_the_first_until_another_is_chosen_and_unbinding_clears_it(ctx):
    first = await make_person(ctx, 1)
    second = await bind(ctx, 1, card=card_for(1, "621700"))
    assert (await cards.default_card(ctx, 1))["card_id"] == first["card_id"]
    await cards.set_default_card(ctx, user_id=1, card_id=second["card_id"])
    listed = {c["card_id"]: c["default"] for c in await cards.list_cards(ctx, 1)}
    assert listed == {first["card_id"]: False, second["card_id"]: True}
    assert (await cards.default_card(ctx, 1))["card_id"] == second["card_id"]
    await cards.set_default_card(ctx, user_id=1, card_id=first["card_id"])  # moves, never two
    assert [c["default"] for c in await cards.list_cards(ctx, 1)] == [True, False]

    await cards.unbind_card(ctx, key="u1", user_id=1, card_id=first["card_id"], pin="135790")
    assert [c["default"] for c in await cards.list_cards(ctx, 1)] == [False]
    assert (await cards.default_card(ctx, 1))["card_id"] == second["card_id"]
    with pytest.raises(CardNotFound):  # an unbound card cannot be the default
        await cards.set_default_card(ctx, user_id=1, card_id=first["card_id"])


async def test_someone_elses_card_cannot_become_my_default(ctx):
    await make_person(ctx, 1)
    theirs = await make_person(ctx, 2)
    with pytest.raises(CardNotFound):
        await cards.set_default_card(ctx, user_id=1, card_id=theirs["card_id"])
    assert await cards.default_card(ctx, 3) is None


async def test_the_database_refuses_two_default_cards(ctx):
    await make_person(ctx, 1)
    await bind(ctx, 1, card=card_for(1, "621700"))

    async def both(conn):
        await conn.execute(cards_table.update().where(cards_table.c.user_id == 1).values(is_default=True))

    with pytest.raises(IntegrityError):
        await transaction(ctx, both)
