"""Transfer cards through the emulator: a recipient without a wallet (told how to open one; the
money waits; accepted once the wallet is open, or refunded after 24 h with the card edited), a
delayed transfer's card shown at once with its arrival time, and the cards edited on every ending."""
from __future__ import annotations

import re
from pathlib import Path

from jobs.sweeps import sweep_once
from tests.e2e.flows import bot, enter_pin, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.e2e.test_transfer import _send
from tests.wallet.helpers import wallet_balance
from wallet.services import people as people_service


async def test_newcomer_in_private_gets_the_link_and_accepts_after_opening(bot, ctx, people, alice):
    dave = await people.person("Dave", "en", username="dave", phone_number="+8613800000004")
    await opened(ctx, alice, balance=5_000)
    await alice.send("/transfer")
    await alice.expect(contains="转给谁")
    await alice.share_users(dave)
    ahead = await alice.expect(contains="还没有开通钱包")
    assert "24 小时" in ahead.text
    await alice.expect(contains="要转给")
    await alice.send("20")
    await alice.press(await alice.expect(contains="添加转账说明"), "跳过")
    await alice.press(await alice.expect(contains="什么时候到账"), "实时到账")
    await alice.press(await alice.expect(contains="确认向"), "确认")
    await enter_pin(alice)
    told = await alice.expect(contains="链接")  # Dave never started the bot: Alice passes the link on
    link = re.search(r"https://t\.me/\S+\?start=tf_\d+", told.text).group(0)
    assert await wallet_balance(ctx, alice.id) == 3_000

    await dave.open_link(link)
    await dave.expect(contains="Open your wallet first")
    card = await dave.expect(contains="→", regex=r"¥20\.00")
    await dave.expect(contains="language")  # and /start's own steps to open the wallet begin
    early = await dave.press(card, "Accept")
    assert early.show_alert and "Open a wallet first" in early.text
    assert (await people_service.profile(ctx, dave.id))["pin_set"] is False

    await opened(ctx, dave)  # Dave opens his wallet (the steps are tested in the onboarding tests)
    got = await dave.press(card, "Accept")
    assert "¥20.00" in got.text and await wallet_balance(ctx, dave.id) == 2_000
    done = await dave.expect(edited=True, where=lambda m: m.id == card.id, since=0)
    assert "Accepted" in done.text and not done.keyboard
    await alice.expect(contains="¥20.00", regex="已收下")
    await scan_secrets(alice)


async def test_newcomer_in_a_group_never_opens_and_is_refunded_card_edited(bot, ctx, people, alice):
    dave = await people.person("Dave", "en", username="dave")
    await opened(ctx, alice, balance=5_000)
    await alice.send("/start")
    group = await people.group("New friends", alice, dave)
    said = await dave.send(group, "hi all")
    await alice.send(group, "/transfer 15 welcome", reply_to=said)
    await alice.expect(group, contains="私聊")
    await alice.press(await alice.expect(contains="确认向"), "确认")
    await enter_pin(alice)
    card = await alice.expect(group, contains="→", regex=r"¥15\.00")
    assert "还没有开通钱包" in card.text
    url = next(b["url"] for row in card.keyboard for b in row if b.get("url"))
    assert re.search(r"\?start=tf_\d+$", url)
    refused = await dave.press(card, "收款")
    assert refused.show_alert and await wallet_balance(ctx, alice.id) == 3_500

    ctx.clock.advance(hours=25)
    assert len((await sweep_once(bot))["transfers"]) == 1
    assert await wallet_balance(ctx, alice.id) == 5_000
    edited = await alice.expect(group, edited=True, where=lambda m: m.id == card.id, since=0)
    assert "已退回" in edited.text and not edited.keyboard
    await alice.expect(contains="¥15.00", regex="24 小时内未被收款")


async def test_delayed_card_shows_the_arrival_and_both_cards_are_edited(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    await bob.send("/start")
    screen = await _send(alice, bob, "9", delay="2 小时后")
    await alice.press(screen, "确认")
    await enter_pin(alice)
    mine = await alice.expect(contains="到账时间", regex=r"¥9\.00")
    assert any("撤回" in b for b in mine.buttons)
    card = await bob.expect(contains="Arrives at", regex=r"¥9\.00")  # shown at once, with the time
    assert re.search(r"Arrives at \d\d:\d\d", card.text)
    early = await bob.press(card, "Accept")
    assert early.show_alert and await wallet_balance(ctx, bob.id) == 0
    ctx.clock.advance(hours=2, seconds=1)
    got = await bob.press(card, "Accept")
    assert "¥9.00" in got.text and await wallet_balance(ctx, bob.id) == 900
    done = await bob.expect(edited=True, where=lambda m: m.id == card.id, since=0)
    assert "Accepted" in done.text and not done.keyboard
    theirs = await alice.expect(edited=True, where=lambda m: m.id == mine.id, since=0)  # Revoke gone
    assert "已收款" in theirs.text and not theirs.keyboard


def test_the_readme_says_when_a_delayed_transfer_is_seen_as_the_test_above_shows():
    """The README's money rules and its walk through the cards agree with the chat: the card comes
    at once with "arrives at", Accept works from then on (it once said the friend sees it only after)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    rule = " ".join(readme.split("- **Transfers.**", 1)[1].split("\n- **", 1)[0].split())
    assert "sees it only after" not in rule
    assert "at once" in rule and "arrives at HH:MM" in rule and "revoke it until it arrives" in rule
    assert 'a delayed one shows "arrives at HH:MM" at once (Accept works from then on)' in " ".join(readme.split())


async def test_returned_and_expired_cards_are_edited(bot, ctx, alice, bob):
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    await bob.send("/start")
    await alice.press(await _send(alice, bob, "3"), "确认")
    await enter_pin(alice)
    first = await bob.expect(contains="→", regex=r"¥3\.00")
    await bob.press(first, "Return")
    back = await bob.expect(edited=True, where=lambda m: m.id == first.id, since=0)
    assert "Returned" in back.text and not back.keyboard

    await alice.press(await _send(alice, bob, "4"), "确认")
    await enter_pin(alice)
    second = await bob.expect(contains="→", regex=r"¥4\.00")
    ctx.clock.advance(hours=25)
    assert len((await sweep_once(bot))["transfers"]) == 1
    gone = await bob.expect(edited=True, where=lambda m: m.id == second.id, since=0)
    assert "refunded" in gone.text and not gone.keyboard
    assert await wallet_balance(ctx, alice.id) == 5_000


async def test_the_command_menu_has_transfer_and_hongbao_in_both_languages(bot, emulator):
    menus = {key.split("|")[1]: {c["command"]: c["description"] for c in cmds}
             for key, cmds in emulator.world.commands.items()}
    assert {"zh", "en", ""} <= set(menus)
    for lang in ("zh", "en", ""):
        assert {"transfer", "hongbao"} <= set(menus[lang]), menus[lang]
    assert menus["en"]["transfer"] != menus["zh"]["transfer"] and "红包" in menus["zh"]["hongbao"]


async def test_newcomer_may_return_it_without_opening_and_others_are_refused(bot, ctx, people, alice, bob):
    dave = await people.person("Dave", "en", username="dave")
    await opened(ctx, alice, balance=5_000)
    await opened(ctx, bob)
    await alice.send("/start")
    group = await people.group("Three", alice, bob, dave)
    said = await dave.send(group, "hello")
    await alice.send(group, "/transfer 6", reply_to=said)
    await alice.press(await alice.expect(contains="确认向"), "确认")
    await enter_pin(alice)
    card = await alice.expect(group, contains="→", regex=r"¥6\.00")
    not_his = await bob.press(card, "收款")  # Bob has a wallet, but it is Dave's
    assert not_his.show_alert and "not yours" in not_his.text
    back = await dave.press(card, "退还")
    assert "¥6.00" in back.text and await wallet_balance(ctx, alice.id) == 5_000
    edited = await alice.expect(group, edited=True, where=lambda m: m.id == card.id, since=0)
    assert "已退还" in edited.text and not edited.keyboard
    await alice.expect(contains="¥6.00", regex="退还")
