"""Merchants in chat through the emulator: a shop is registered with /shop, its collection code
comes as a QR picture (decoded here with zbarimg) and a payment link; payers follow the link as
people do (t.me -> /start pay_<code>), with open and fixed amounts; a revoked code, an unknown
one, one's own shop, a payer without a wallet are refused, one without enough money is offered the card; the shop
is told at once and gets its daily summary once (a fake clock); the personal receive code."""
from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.outbox import drain_once
from jobs.shop_summary import LAST_DAY, summarise_once
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from tests.e2e.flows import bot, enter_pin, keypad, opened, scan_secrets  # noqa: F401 (bot: the fixture)
from tests.people import Message, Person
from tests.wallet.helpers import PIN, card_for, wallet_balance
from wallet.models import outbox
from wallet.services import merchants
from wallet.uow import read

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"https://t\.me/\w+\?start=pay_[A-Za-z0-9_-]+")


def zbarimg() -> str:
    """zbarimg, installed by scripts/ensure-zbar.sh if it is missing (skip only if it cannot be)."""
    if shutil.which("zbarimg") is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-zbar.sh")], check=False, timeout=600)
    path = shutil.which("zbarimg")
    if path is None:
        pytest.skip("zbarimg is not installed and scripts/ensure-zbar.sh could not install it")
    return path


async def decode_qr(person: Person, photo: Message, tmp_path: Path) -> str:
    """Fetch the photo as the person's client does and read its QR code with zbar."""
    assert photo.raw.get("photo"), photo
    async with person.people.session.get(person.people.base_url + photo.raw["photo"]["url"]) as res:
        assert res.status == 200
        data = await res.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    path = tmp_path / f"qr-{photo.id}.png"
    path.write_bytes(data)
    out = await asyncio.to_thread(subprocess.run, [zbarimg(), "--raw", "-q", str(path)],
                                  capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


async def code_and_link(person: Person, tmp_path: Path) -> tuple[str, Message]:
    """The QR photo the bot just sent and the link message after it: (decoded link, link message)."""
    photo = await person.expect(where=lambda m: bool(m.raw.get("photo")))
    link_msg = await person.expect(where=lambda m: LINK.search(m.text) is not None and m.id > photo.id)
    decoded = await decode_qr(person, photo, tmp_path)
    assert LINK.fullmatch(decoded), decoded
    assert decoded == LINK.search(link_msg.text).group(0)  # the picture and the plain link agree
    return decoded, link_msg


async def crafted(bot, person: Person, data: str):
    """A button with ``data`` in ``person``'s private chat (a modified client may send any callback_data)."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]])
    sent = await bot.bot.send_message(person.id, "crafted", reply_markup=markup)
    msg = await person.expect(where=lambda m: m.id == sent.message_id)
    return await person.press(msg, callback_data=data)


async def register_shop(alice: Person, name: str, category: str) -> None:
    await alice.send("/shop")
    shops = await alice.expect(contains="我的店铺")
    await alice.press(shops, "登记店铺")
    await alice.expect(contains="店铺叫什么")
    await alice.send(name)
    ask = await alice.expect(contains="属于哪个类别")
    await alice.press(ask, category)
    await alice.expect(contains="已登记")


async def pay(person: Person, link: str, *, amount: str | None, confirm_text: str, button: str = "Pay") -> Message:
    """Open the link as ``person`` (English), type the amount if asked, confirm, enter the PIN."""
    await person.open_link(link)
    if amount is not None:
        await person.expect(contains="Type the amount")
        await person.send(amount)
    screen = await person.expect(contains=confirm_text)
    await person.press(screen, button)
    await enter_pin(person)
    return await person.expect(contains="Paid")


async def test_shop_qr_open_and_fixed_amounts_revoked_unknown_and_own_code(bot, ctx, alice, bob, tmp_path):
    await opened(ctx, alice)
    await opened(ctx, bob, balance=10_000)
    await bob.send("/start")
    await register_shop(alice, "兰州拉面 <Lamian> & Co", "餐饮美食")  # HTML characters shown as typed
    open_link, first = await code_and_link(alice, tmp_path)
    assert any("兰州拉面 <Lamian> & Co" in m.text for m in await alice.messages() if m.raw.get("photo"))

    # an open amount: Bob types it
    done = await pay(bob, open_link, amount="12.50", confirm_text="¥12.50")
    assert "兰州拉面 <Lamian> & Co" in done.text and "¥12.50" in done.text
    assert await wallet_balance(ctx, bob.id) == 10_000 - 1_250
    assert await wallet_balance(ctx, alice.id) == 1_250
    told = await alice.expect(contains="向你的店铺")  # the outbox notice, at once
    assert "¥12.50" in told.text and "兰州拉面 <Lamian> & Co" in told.text

    # a fixed amount: Bob is asked nothing but to confirm
    await alice.press(first, "新建收款码")
    await alice.expect(contains="固定金额")
    await alice.send("30")
    fixed_link, _ = await code_and_link(alice, tmp_path)
    assert fixed_link != open_link
    await pay(bob, fixed_link, amount=None, confirm_text="¥30.00")
    assert await wallet_balance(ctx, alice.id) == 4_250
    await alice.expect(contains="¥30.00", regex="向你的店铺")

    # Alice revokes the fixed code: Bob's next try is refused, nothing moves
    await alice.press(first, "本店收款码")
    shop = await alice.expect(contains="收款码：", edited=True)
    assert "¥30.00" in shop.text
    await alice.press(shop, "作废 2")
    ask = await alice.expect(contains="确认作废")
    answer = await alice.press(ask, "作废")
    assert "已作废" in answer.text
    await bob.open_link(fixed_link)
    await bob.expect(contains="revoked")
    assert await wallet_balance(ctx, bob.id) == 10_000 - 4_250

    # Bob's crafted presses on Alice's shop and codes: refused, nothing changes
    shop_id = next(b["callback_data"] for b in sum(first.keyboard, []) if b["callback_data"].startswith("shop:code:"))
    code_ids = [b["callback_data"].rsplit(":", 1)[1] for b in sum(shop.keyboard, []) if b["callback_data"].startswith("shop:qr:")]
    for data in (f"shop:rvy:{code_ids[0]}", f"shop:qr:{code_ids[0]}", f"shop:open:{shop_id.rsplit(':', 1)[1]}", shop_id):
        refused = await crafted(bot, bob, data)
        assert refused.show_alert, data
    assert [c["status"] for c in await merchants.codes_of(ctx, alice.id, include_revoked=True)] == ["active", "revoked"]

    # an unknown code, and Alice paying her own shop
    await bob.send("/start pay_AAAAAAAAAAAAAAAAAAAAAA")
    await bob.expect(contains="not valid")
    await alice.open_link(open_link)
    await alice.expect(contains="不能向自己的店铺")
    assert await wallet_balance(ctx, alice.id) == 4_250
    await scan_secrets(alice)
    await scan_secrets(bob)


async def test_no_wallet_not_enough_money_and_a_double_tap(bot, ctx, alice, bob, carol, tmp_path):
    await opened(ctx, alice)
    await opened(ctx, bob, balance=1_000)
    await bob.send("/start")
    await register_shop(alice, "花店", "零售百货")
    link, _ = await code_and_link(alice, tmp_path)

    await carol.open_link(link)  # no wallet: told how to open one
    told = await carol.expect(contains="需要先开通钱包")
    assert "/start" in told.text

    await bob.open_link(link)  # more than Bob has
    await bob.expect(contains="Type the amount")
    await bob.send("-3")  # not an amount: said at once, the step stays
    await bob.expect(contains="negative")
    await bob.send("200000000")  # more than any payment may be
    await bob.expect(contains="too large")
    await bob.send("25")
    screen = await bob.expect(contains="¥25.00")
    last4 = card_for(bob.id)[-4:]  # not enough: the two ways to pay with the card instead of "Pay"
    assert "is ¥15.00 short" in screen.text
    assert screen.buttons == [f"Top up the ¥15.00 short from card ****{last4} and pay",
                              f"Pay ¥25.00 with card ****{last4}", "✖ Cancel"]
    await bob.press(screen, "✖ Cancel")
    assert await wallet_balance(ctx, bob.id) == 1_000 and await wallet_balance(ctx, alice.id) == 0

    await bob.open_link(link)  # a double tap on Pay shows one keypad and pays once
    await bob.expect(contains="Type the amount")
    await bob.send("4")
    screen = await bob.expect(contains="¥4.00")
    ok = screen.keyboard[0][0]["callback_data"]
    await bob.press(screen, callback_data=ok)
    pad = await keypad(bob)
    second = await crafted(bot, bob, ok)  # the second tap of a double tap (or Telegram delivering it again)
    assert not second.show_alert
    pads = [m for m in await bob.messages() if m.id > screen.id and any(re.fullmatch(r"\d", b) for b in m.buttons)]
    assert [m.id for m in pads] == [pad.id]  # one keypad
    await enter_pin(bob, pad=pad)
    await bob.expect(contains="Paid")
    again = await crafted(bot, bob, ok)
    assert again.show_alert  # the draft is gone: an old screen
    assert await wallet_balance(ctx, bob.id) == 600 and await wallet_balance(ctx, alice.id) == 400
    await scan_secrets(bob)


async def test_personal_receive_code_with_and_without_an_amount(bot, ctx, alice, bob, tmp_path):
    await opened(ctx, alice)
    await opened(ctx, bob, balance=5_000)
    await bob.send("/start")
    await alice.send("/wallet")  # wallet home -> Pay / Collect -> My receive code
    home = await alice.expect(contains="零钱余额")
    await alice.press(home, "收付款")
    menu = await alice.expect(contains="收款：", edited=True)
    await alice.press(menu, "我的收款码")
    link, link_msg = await code_and_link(alice, tmp_path)
    await alice.send("/receive")  # the same code again, not a new one
    again, _ = await code_and_link(alice, tmp_path)
    assert again == link

    done = await pay(bob, link, amount="8", confirm_text="¥8.00")
    assert "¥8.00" in done.text
    assert await wallet_balance(ctx, alice.id) == 800 and await wallet_balance(ctx, bob.id) == 4_200
    await alice.expect(contains="通过你的收款码", regex=r"¥8\.00")  # accepted for her, and she is told

    await alice.press(link_msg, "设置金额")
    await alice.expect(contains="朋友要付的金额")
    await alice.send("6.6")
    fixed, _ = await code_and_link(alice, tmp_path)
    await pay(bob, fixed, amount=None, confirm_text="¥6.60")
    assert await wallet_balance(ctx, alice.id) == 1_460

    await bob.send("/start pay_" + link.rsplit("pay_", 1)[1])  # typed by hand, same code
    await bob.expect(contains="Type the amount")
    await scan_secrets(alice)
    await scan_secrets(bob)


async def test_shop_owner_gets_the_daily_summary_once(bot, ctx, alice, bob, carol):
    await opened(ctx, alice)
    await opened(ctx, bob, balance=5_000)
    await opened(ctx, carol, balance=5_000)
    await alice.send("/start")
    shop = await merchants.register_shop(ctx, key="s1", owner_id=alice.id, name="早餐<铺> & Co", category="food")
    code = shop["code"]["code"]
    await merchants.pay(ctx, key="p1", payer_id=bob.id, code=code, amount=300, pin=PIN)
    await merchants.pay(ctx, key="p2", payer_id=carol.id, code=code, amount=450, pin=PIN)
    assert bot.job_queue.get_jobs_by_name("shop_summary")  # registered with the other jobs

    assert await summarise_once(bot) == []  # the day is not over yet
    ctx.clock.advance(days=1)
    first = await summarise_once(bot)
    assert [(s["count"], s["total"]) for s in first] == [(2, 750)]
    # another process, or this one after a restart: nothing new
    assert len(await merchants.queue_daily_summaries(ctx, merchants.local_today(ctx) - timedelta(days=1))) == 1
    bot.bot_data.pop(LAST_DAY)
    await summarise_once(bot)
    summary = await alice.expect(contains="收款汇总")
    assert "共 2 笔" in summary.text and "¥7.50" in summary.text and "早餐<铺> & Co" in summary.text

    async def keys(conn):
        return [r.key for r in await conn.execute(select(outbox.c.key).where(outbox.c.msgid == "notice.shop_daily_summary"))]
    assert len(await read(ctx, keys)) == 1
    await drain_once(bot)  # whatever is left in the outbox is delivered now
    assert len([m for m in await alice.messages() if "收款汇总" in m.text]) == 1
