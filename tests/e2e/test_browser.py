"""The web chat in headless Chromium: a seeded person opens a wallet (SMS code read from the phone,
PIN on the keypad), screenshots of the keypad and the wallet home in tests/artifacts/; keyboards,
files, inline mode and the SMS inbox."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from emulator.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium, or scripts/ensure-chromium.sh)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and the browser test cannot run: {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture
async def page():
    executable = chromium_path()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        await browser.close()
        assert not errors, f"JavaScript errors in the web chat: {errors}"


async def _send(page, text: str) -> None:
    await page.fill("#composer-input", text)
    await page.press("#composer-input", "Enter")


async def _bot_says(page, text: str):
    """The newest bot message with ``text``, once there is one."""
    from playwright.async_api import expect

    found = page.locator(".msg:not(.mine)").filter(has_text=text)
    await expect(found.first).to_be_visible(timeout=15000)
    return found.last


async def _sms_code(page, seen: int) -> str:
    """Open the phone, wait for SMS number ``seen + 1`` and read its code (newest is on top)."""
    import re

    from playwright.async_api import expect

    await page.click("#phone-toggle")
    await expect(page.locator("#sms-list li")).to_have_count(seen + 1, timeout=15000)
    text = await page.locator("#sms-list li").first.inner_text()
    await page.click("#phone-toggle")
    return re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", text).group(1)


async def _type_pin(page, keypad_text: str, pin: str, *, screenshot: str | None = None):
    from playwright.async_api import expect

    keypad = page.locator(".msg:not(.mine)").filter(has_text=keypad_text).filter(has_text="○○○○○○").last
    await expect(keypad).to_be_visible(timeout=15000)
    mid = await keypad.get_attribute("data-message-id")
    keypad = page.locator(f".msg[data-message-id='{mid}']")
    for i, digit in enumerate(pin):
        await keypad.get_by_role("button", name=digit, exact=True).click()
        if i == 2:
            await expect(keypad).to_contain_text("●●●○○○", timeout=10000)
            if screenshot:
                await page.screenshot(path=str(ARTIFACTS / screenshot))


async def test_web_chat_opens_a_wallet_reading_the_sms_code_from_the_phone(emulator, bot, page):
    """A newcomer opens a wallet in the web chat, as the README's "try it" says."""
    from playwright.async_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seed_demo(emulator.world)
    await page.goto(emulator.url + "/")
    await page.wait_for_selector("body[data-ready='1']", timeout=15000)
    await expect(page.locator("#user-select option")).to_have_count(3)
    await page.select_option("#user-select", label="Alice Wang @alice")
    await expect(page.locator(".chat-item")).to_have_count(2)  # the bot and the seeded group
    await page.locator(".chat-item[data-type='private']").click()

    await _send(page, "/start")
    welcome = await _bot_says(page, "钱包助手")
    await expect(welcome.locator(".bubble b").first).to_have_text("钱包助手")  # HTML rendered
    await expect(welcome).to_contain_text("沙箱")
    await page.screenshot(path=str(ARTIFACTS / "webchat-start.png"))
    await welcome.get_by_role("button", name="✓ 中文").click()
    intro = await _bot_says(page, "我们保存什么")
    await intro.get_by_role("button", name="开通钱包").click()
    share = page.locator("#reply-keyboard button.contact")
    await expect(share).to_be_visible(timeout=15000)
    await share.click()
    await _bot_says(page, "第 2/5 步")
    await _send(page, await _sms_code(page, 0))
    await _bot_says(page, "第 3/5 步")
    await _send(page, "张三")
    await _bot_says(page, "18 位身份证号")
    await _send(page, "11010119900307002X")
    await _bot_says(page, "110***********002X")
    await expect(page.locator(".msg.mine").filter(has_text="11010119900307002X")).to_have_count(0)  # deleted
    await _send(page, "6222 0200 0000 0000 018")
    await _bot_says(page, "已识别：中国工商银行储蓄卡（尾号 0018）")
    await _send(page, await _sms_code(page, 1))
    await _type_pin(page, "请设置新的 6 位支付密码", "258036", screenshot="webchat-keypad.png")
    await _type_pin(page, "请再输入一次", "258036")
    home = await _bot_says(page, "零钱余额")
    await expect(home).to_contain_text("¥0.00")
    await page.screenshot(path=str(ARTIFACTS / "webchat-wallet-home.png"))

    await home.get_by_role("button", name="收付款").click()  # the home message becomes the pay/collect menu
    await _bot_says(page, "付款链接")
    texts = await page.locator(".msg").all_inner_texts()
    assert not [t for t in texts if "258036" in t or "11010119900307002X" in t or "6222020000000000018" in t.replace(" ", "")]

    await page.click("#lang-toggle")  # the page's own texts switch language
    await expect(page.locator("#send-button")).to_have_text("Send")


@pytest.fixture
async def demo_bot(emulator):
    """A small PTB bot with a reply keyboard, a photo, a document and inline results."""
    from telegram import (InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle, InputTextMessageContent,
                          KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove)
    from telegram.ext import Application, CallbackQueryHandler, CommandHandler, InlineQueryHandler, MessageHandler, filters

    from tests.emulator.test_ptb import png

    async def phone(update, context):
        await update.message.reply_text("Share your phone", reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton("Share my phone", request_contact=True)]], one_time_keyboard=True))

    async def contact(update, context):
        await update.message.reply_text(f"Thanks, {update.message.contact.phone_number}", reply_markup=ReplyKeyboardRemove())
        await update.message.reply_photo(png(64, 48), caption="your QR")
        await update.message.reply_document(b"a,b\n1,2\n", filename="bill.csv")

    async def inline(update, context):
        amount = update.inline_query.query
        await update.inline_query.answer([InlineQueryResultArticle(
            id="rp", title=f"Red packet ¥{amount}", description="lucky, 3 shares",
            input_message_content=InputTextMessageContent(f"🧧 Red packet ¥{amount}"),
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Open", callback_data="open")]]))], cache_time=0)

    async def press(update, context):
        await update.callback_query.answer("You got ¥3.21")

    app = Application.builder().token(emulator.token).base_url(emulator.bot_base_url).base_file_url(emulator.file_base_url).build()
    app.add_handler(CommandHandler("phone", phone))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(InlineQueryHandler(inline))
    app.add_handler(CallbackQueryHandler(press))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=5, poll_interval=0)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_web_chat_keyboards_files_inline_mode_and_sms(emulator, demo_bot, page):
    from playwright.async_api import expect

    seed_demo(emulator.world)
    bob = next(u for u in emulator.world.users.values() if u.first_name == "Bob")
    await page.goto(f"{emulator.url}/?user={bob.id}")
    await page.wait_for_selector("body[data-ready='1']", timeout=15000)
    await page.locator(".chat-item[data-type='private']").click()
    await page.fill("#composer-input", "/phone")
    await page.press("#composer-input", "Enter")
    share = page.locator("#reply-keyboard button.contact")
    await expect(share).to_be_visible(timeout=10000)
    await share.click()
    await expect(page.locator(".msg:not(.mine)").filter(has_text="Thanks, +8613800000002")).to_have_count(1, timeout=10000)
    await expect(page.locator("#reply-keyboard")).to_be_hidden()
    photo = page.locator(".bubble img.photo")
    await expect(photo).to_have_count(1, timeout=10000)
    assert await photo.evaluate("img => img.complete && img.naturalWidth") == 64
    await expect(page.locator(".bubble a.doc")).to_contain_text("bill.csv", timeout=10000)

    group = page.locator(".chat-item[data-type='group']")
    await group.click()
    await page.fill("#composer-input", "@WalletDemoBot 50")
    result = page.locator("#inline-results .result[data-result='rp']")
    await expect(result).to_contain_text("Red packet ¥50", timeout=10000)
    await result.click()
    card = page.locator(".msg.mine").filter(has_text="🧧 Red packet ¥50")
    await expect(card).to_have_count(1, timeout=10000)
    await expect(card.locator(".via")).to_contain_text("@WalletDemoBot")
    await card.get_by_role("button", name="Open").click()
    await expect(page.locator("#toast")).to_have_text("You got ¥3.21", timeout=10000)

    emulator.world.add_sms(bob.phone_number, "[Wallet] code 246810")
    await expect(page.locator("#sms-badge")).to_have_text("1", timeout=10000)
    await page.click("#phone-toggle")
    await expect(page.locator("#sms-list li")).to_contain_text("code 246810")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-inline-sms.png"))


@pytest.fixture
async def flows_bot(emulator):
    """A small PTB bot with a request_users button and a deep link posted into a group."""
    from telegram import KeyboardButton, KeyboardButtonRequestUsers, ReplyKeyboardMarkup, ReplyKeyboardRemove
    from telegram.ext import Application, CommandHandler, MessageHandler, filters

    async def pick(update, context):
        await update.message.reply_text("Who gets it?", reply_markup=ReplyKeyboardMarkup([[KeyboardButton(
            "Choose a friend", request_users=KeyboardButtonRequestUsers(request_id=5, request_name=True))]]))

    async def shared(update, context):
        names = ", ".join(u.first_name for u in update.message.users_shared.users)
        await update.message.reply_text(f"Paying {names}", reply_markup=ReplyKeyboardRemove())

    async def link(update, context):
        await update.message.reply_text("Pay here: t.me/WalletDemoBot?start=pay_42")

    async def start(update, context):
        await update.message.reply_text(f"start with {' '.join(context.args) or 'nothing'}")

    app = Application.builder().token(emulator.token).base_url(emulator.bot_base_url).base_file_url(emulator.file_base_url).build()
    app.add_handler(CommandHandler("pick", pick))
    app.add_handler(CommandHandler("link", link))
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.StatusUpdate.USERS_SHARED, shared))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=5, poll_interval=0)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_web_chat_request_users_and_deep_link(emulator, flows_bot, page):
    from playwright.async_api import expect

    seed_demo(emulator.world)
    alice = next(u for u in emulator.world.users.values() if u.first_name == "Alice")
    await page.goto(f"{emulator.url}/?user={alice.id}")
    await page.wait_for_selector("body[data-ready='1']", timeout=15000)
    await page.locator(".chat-item[data-type='private']").click()
    await page.fill("#composer-input", "/pick")
    await page.press("#composer-input", "Enter")
    button = page.locator("#reply-keyboard button.users")
    await expect(button).to_be_visible(timeout=10000)
    await button.click()
    await expect(page.locator("#picker")).to_be_visible()
    await expect(page.locator("#picker-list li")).to_have_count(2)  # Bob and Carol, not Alice herself
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-request-users.png"))
    await page.locator("#picker-list li").filter(has_text="Bob").locator("input").check()
    await page.click("#picker-ok")
    await expect(page.locator(".service.shared")).to_contain_text("Bob", timeout=10000)
    await expect(page.locator(".msg:not(.mine)").filter(has_text="Paying Bob")).to_have_count(1, timeout=10000)

    await page.locator(".chat-item[data-type='group']").click()
    await page.fill("#composer-input", "/link")
    await page.press("#composer-input", "Enter")
    link = page.locator(".msg:not(.mine) .bubble a").filter(has_text="t.me/WalletDemoBot?start=pay_42")
    await expect(link).to_have_count(1, timeout=10000)
    await link.click()
    await expect(page.locator(".chat-item.active")).to_have_attribute("data-type", "private", timeout=10000)
    await expect(page.locator(".msg.mine").filter(has_text="/start pay_42")).to_have_count(1, timeout=10000)
    await expect(page.locator(".msg:not(.mine)").filter(has_text="start with pay_42")).to_have_count(1, timeout=10000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-deep-link.png"))
