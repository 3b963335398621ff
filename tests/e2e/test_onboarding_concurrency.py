"""Updates through the real stack: people opening wallets at the same time each get their own
flow; one person's burst of messages is handled in the order it was sent."""
from __future__ import annotations

import asyncio

from bot.persistence import DatabasePersistence
from bot.updates import PerPersonUpdateProcessor
from tests.e2e.steps import GOOD_CARDS, Opening, assert_no_secrets, default_id_number, has_callback, open_wallet
from tests.people import People, Person


def test_the_bot_is_built_with_the_database_persistence_and_the_per_person_processor(bot):
    assert isinstance(bot.persistence, DatabasePersistence)
    assert isinstance(bot.update_processor, PerPersonUpdateProcessor)
    assert bot.update_processor.max_concurrent_updates > 1


async def test_three_people_open_wallets_at_the_same_time(bot, people, emulator, alice, bob, carol):
    async def own_view(person: Person) -> Person:  # each with their own "since the last action" mark
        return Person(People(people.session, people.base_url), person.data)

    views = [await own_view(p) for p in (alice, bob, carol)]
    opened = await asyncio.gather(*[open_wallet(v.people, v, card=GOOD_CARDS[i]) for i, v in enumerate(views)])
    for o, v in zip(opened, views):
        assert "¥0.00" in o.home.text
        await assert_no_secrets(people, v, o.secrets, world=emulator.world)


async def test_a_burst_of_messages_is_handled_in_the_order_sent(bot, people, emulator, alice):
    o = Opening(people, alice)
    await o.start()
    await o.share_phone()
    await o.type_phone_code()
    # name, ID number and card number sent at once, without waiting for the answers
    await alice.send("张三")
    await alice.send(default_id_number(alice))
    await alice.send(GOOD_CARDS[0])
    prompt = await alice.expect(where=has_callback("ob:resend"), since=0, contains="0018")
    texts = [m.text for m in await alice.messages() if m.from_bot]
    assert not [t for t in texts if "真实姓名" in t and "请输入与身份证一致" in t], texts  # nothing refused
    assert "尾号 0018" in prompt.text
