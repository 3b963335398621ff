"""The conventions every flow shares (handlers/ui/common.py), shown on opening a wallet: /cancel
leaves the flow, 10 idle minutes end it with a message, the wallet home is edited in place."""
from __future__ import annotations

import pytest

from tests.e2e.steps import Opening, open_wallet
from wallet.services import cards


@pytest.fixture
def short_idle(monkeypatch):
    """Conversations built after this time out after 1 s instead of 10 minutes."""
    import handlers.ui.common as common

    monkeypatch.setattr(common, "IDLE_TIMEOUT_SECONDS", 1)


async def test_cancel_leaves_the_opening_and_outside_a_flow_says_nothing_to_cancel(bot, people, alice):
    o = Opening(people, alice)
    await o.start()
    await o.share_phone()
    await o.type_phone_code()
    await alice.send("/cancel")
    await alice.expect(contains="已取消")
    await alice.send("张三")  # no flow is waiting for a name any more: what the bot can do, not a name
    said = await alice.expect(contains="我没看懂")
    assert "/wallet" in said.text
    await alice.send("/cancel")
    await alice.expect(contains="没有可以取消")
    await alice.send("/start")  # and /start begins again
    await alice.expect(contains="钱包助手")


async def test_an_idle_flow_ends_with_a_message(short_idle, bot, people, bob):
    o = Opening(people, bob)
    await o.start()
    await bob.expect(contains="idle", timeout=5)
    await bob.send("Li Lei")  # the flow ended: not taken as a name, but answered
    await bob.expect(contains="I didn't understand")


async def test_the_wallet_home_is_one_message_edited_in_place(bot, people, bob):
    opened = await open_wallet(people, bob)
    home = opened.home
    wallet = bot.bot_data["wallet"]
    card = (await cards.list_cards(wallet, bob.id))[0]
    await cards.top_up(wallet, key="test-topup-1", user_id=bob.id, card_id=card["card_id"], amount=500, pin=opened.pin)
    answer = await bob.press(home, callback_data="home:refresh")
    assert answer.text is None and not answer.show_alert
    edited = await bob.expect(edited=True, contains="¥5.00")
    assert edited.id == home.id
    answer = await bob.press(home, callback_data="home:pay")
    assert not answer.show_alert
    menu = await bob.expect(edited=True, contains="Pay / Collect")  # the same message, edited in place
    assert menu.id == home.id
    await bob.send("/wallet")
    fresh = await bob.expect(contains="My wallet")
    old = [m for m in await bob.messages() if m.id == home.id][0]
    assert old.keyboard == [] and fresh.keyboard  # only the newest home has buttons


async def test_pin_cancelled_after_the_card_is_bound_then_start_goes_straight_to_the_pin(bot, people, alice):
    from tests.e2e.steps import GOOD_CARDS, default_id_number

    o = Opening(people, alice)
    await o.start()
    await o.share_phone()
    await o.type_phone_code()
    await o.type_name("张三")
    await o.type_id(default_id_number(alice))
    await o.type_card(GOOD_CARDS[0])
    keypad = await o.type_card_code()
    cancel = [b["callback_data"] for row in keypad.keyboard for b in row if b["callback_data"].startswith("pin:c:")][0]
    await alice.press(keypad, callback_data=cancel)
    await alice.expect(contains="还需要设置支付密码")
    await alice.send("/wallet")
    await alice.expect(contains="还没有钱包")
    await alice.send("/start")  # the card is bound: only the PIN is left
    await o.next_keypad()
    home = await o.set_pin("258036")
    assert "我的钱包" in home.text
