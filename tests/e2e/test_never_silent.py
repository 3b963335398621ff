"""Never silence (DESIGN §8): every update gets an answer, through the emulator.

Each test here failed before the fix it names (issue: never leave a person in silence):
the error handler, buttons no handler parses, ids out of a database integer's bounds, commands and
text nobody expected (private and group), a second press while a step runs, a stale keypad press on
a live keypad."""
from __future__ import annotations

import asyncio
import logging

from telegram.ext import CommandHandler

from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.wallet.helpers import wallet_balance
from wallet.services import people as people_service


def _failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "handlers.failure" and r.levelno >= logging.ERROR]


# --- 1. the error handler --------------------------------------------------------------------------
async def test_a_failing_handler_is_answered_and_says_nothing_happened(bot, ctx, people, bob, caplog):
    async def boom(update, context):
        raise RuntimeError("a bug in a handler")
    bot.add_handler(CommandHandler("boom", boom), group=-3)
    await bob.send("/boom")
    said = await bob.expect(contains="Nothing was paid")
    assert "/wallet" in said.text
    [line] = _failures(caplog)
    assert "/boom" in line.getMessage() and str(bob.id) in line.getMessage() and line.exc_info


async def test_a_failure_after_the_operation_committed_says_it_went_through(bot, ctx, people, alice, caplog):
    await opened(ctx, alice)

    async def freeze_then_fail(update, context):
        await people_service.freeze(context.bot_data["wallet"], user_id=update.effective_user.id, key="boom-1")
        raise RuntimeError("the reply could not be drawn")
    bot.add_handler(CommandHandler("boom", freeze_then_fail), group=-3)
    await alice.send("/boom")
    said = await alice.expect(contains="已经成功完成")
    assert "/bills" in said.text
    [line] = _failures(caplog)
    assert f"u{alice.id}:freeze:boom-1" in line.getMessage()  # the operation's key, for the log reader


async def test_a_failing_button_is_answered_with_a_popup(bot, ctx, people, alice, caplog):
    await opened(ctx, alice)

    async def boom(update, context):
        raise RuntimeError("a bug in a button")
    from telegram.ext import CallbackQueryHandler
    bot.add_handler(CallbackQueryHandler(boom, pattern=r"^home:refresh$"), group=-3)
    await alice.send("/wallet")
    home = await alice.expect(contains="零钱")
    answer = await alice.press(home, callback_data="home:refresh")
    assert answer.show_alert and "没有扣款" in answer.text
    await alice.expect(contains="没有扣款")
    assert "home:refresh" in _failures(caplog)[0].getMessage()


# --- 3 and 4. buttons no handler parses; ids out of bounds ----------------------------------------
async def test_open_my_wallet_after_cancel_is_answered_with_the_current_screen(bot, people, bob):
    await bob.send("/start")
    welcome = await bob.expect(contains="wallet assistant")
    await bob.press(welcome, "English")
    intro = await bob.expect(contains="What is stored")
    await bob.send("/cancel")
    await bob.expect(contains="ancel")
    answer = await bob.press(intro, "Open my wallet")
    assert answer.show_alert and "no longer valid" in answer.text
    await bob.expect(contains="/start to open one")


CRAFTED = ["zzz", "tf:acc:-1", "tf:acc:1.0", "tf:zzz:1", "tf:acc:99999999999999999999", "tf:ret:2147483648",
           "tf:rev:4294967296", "shop:open:99999999999999999999", "shop:code:2147483648", "home:zzz",
           "rp:open:99999999999:abc", "x" * 64, "bill:dt:-5:1.a..", "pin:d:9:zzzz", "ticket:show:9999999999999",
           "tu:card:99999999999:abcdefabcdef", "ob:lang:xx"]


async def test_crafted_button_data_is_always_answered_and_moves_nothing(bot, ctx, people, alice, bob, caplog):
    await opened(ctx, alice, balance=5_000)
    await alice.send("/wallet")
    home = await alice.expect(contains="零钱")
    group = await people.group("Friends", alice, bob)
    await alice.send(group, "hello")
    in_group = await alice.expect(group, from_bot=False, since=0)
    for data in CRAFTED:
        answer = await alice.press(home, callback_data=data, forge=True)
        assert answer.text, data  # a popup that says something, never an empty answer
        answer = await bob.press(in_group, callback_data=data, forge=True)
        assert answer.text, data
    await alice.send("/settings")
    menu = await alice.expect(contains="设置")
    await alice.press(menu, callback_data="set:lang:xx", forge=True)
    await alice.expect(edited=True, contains="按钮已失效")  # said on the settings screen itself
    assert await wallet_balance(ctx, alice.id) == 5_000
    assert not _failures(caplog)
    await scan_secrets(alice)


# --- 5. commands and text nobody expected ---------------------------------------------------------
async def test_unknown_commands_and_text_get_an_answer_in_private(bot, ctx, people, alice, bob):
    await bob.send("/foo")
    assert "/foo" in (await bob.expect(contains="I don't know")).text
    await bob.send("what can you do?")
    await bob.expect(contains="/help")
    await opened(ctx, alice)
    await alice.send("/topup")
    await alice.expect(contains="要向零钱充值多少")
    await alice.send("/foo")  # a command in the middle of a step
    await alice.expect(contains="/cancel")
    await alice.send("100")   # the step still waits
    await alice.expect(contains="从哪张卡充值 ¥100.00")
    await alice.send("this one")  # text where a button is expected
    await alice.expect(contains="按钮")


async def test_private_commands_in_a_group_point_to_the_private_chat(bot, people, alice, carol):
    group = await people.group("Friends", alice, carol)
    for command in ("/wallet", "/report", "/shop", "/tickets", "/settings@WalletDemoBot"):
        await carol.send(group, command)
        said = await carol.expect(group, contains="私聊")
        assert said.keyboard and said.keyboard[0][0].get("url", "").startswith("https://t.me/")
    await carol.send(group, "/nonsense")
    await carol.expect(group, contains="/hongbao")
    await carol.send(group, "/wallet@SomeOtherBot")  # not ours: left alone
    await carol.expect_none(group)
    await carol.send(group, "just chatting")
    await carol.expect_none(group)


# --- 9. one step at a time ------------------------------------------------------------------------
async def test_three_quick_presses_on_the_card_choice_run_the_step_once(bot, ctx, people, alice, caplog):
    card = await opened(ctx, alice)
    await alice.send("/topup")
    await alice.expect(contains="要向零钱充值多少")
    await alice.send("100")
    choose = await alice.expect(contains="从哪张卡充值 ¥100.00")
    data = next(b["callback_data"] for row in choose.keyboard for b in row if card["last4"] in b["text"])
    answers = await asyncio.gather(*(alice.press(choose, callback_data=data) for _ in range(3)))
    assert sum("稍候" in (a.text or "") for a in answers) >= 1  # the repeats were told to wait
    await asyncio.sleep(1.0)
    pads = [m for m in await alice.messages() if any(b.isdigit() and len(b) == 1 for b in m.buttons)]
    assert len(pads) == 1, [p.text for p in pads]  # one keypad, not three
    await enter_pin(alice, pad=pads[0])
    await alice.expect(contains="已从尾号")
    assert await wallet_balance(ctx, alice.id) == 10_000
    assert not _failures(caplog)


async def test_a_stale_keypad_press_on_the_live_keypad_keeps_it(bot, ctx, people, alice):
    card = await opened(ctx, alice)
    await alice.send("/topup")
    await alice.expect(contains="要向零钱充值多少")
    await alice.send("100")
    choose = await alice.expect(contains="从哪张卡充值 ¥100.00")
    await alice.press(choose, f"****{card['last4']}")
    pad = await keypad(alice)
    answer = await alice.press(pad, callback_data="pin:d:0:oldnonce", forge=True)
    assert answer.show_alert
    live = next(m for m in await alice.messages() if m.id == pad.id)
    assert live.keyboard, "the live keypad lost its keys"
    await enter_pin(alice, pad=live)
    await alice.expect(contains="已从尾号")
    assert await wallet_balance(ctx, alice.id) == 10_000
