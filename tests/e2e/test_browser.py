"""The web chat in headless Chromium: send /start as a seeded person, read the answer, press buttons."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from emulator.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

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


async def test_web_chat_start_and_buttons(emulator, bot, page):
    from playwright.async_api import expect

    seed_demo(emulator.world)
    await page.goto(emulator.url + "/")
    await page.wait_for_selector("body[data-ready='1']", timeout=15000)
    await expect(page.locator("#user-select option")).to_have_count(3)
    await page.select_option("#user-select", label="Alice Wang @alice")
    await expect(page.locator(".chat-item")).to_have_count(2)  # the bot and the seeded group
    await page.locator(".chat-item[data-type='private']").click()

    await page.fill("#composer-input", "/start")
    await page.press("#composer-input", "Enter")
    welcome = page.locator(".msg:not(.mine)").filter(has_text="钱包助手")
    await expect(welcome).to_have_count(1, timeout=10000)
    await expect(welcome.locator(".bubble b")).to_have_text("钱包助手")  # HTML entities rendered

    await welcome.get_by_role("button", name="关于").click()
    await expect(page.locator("#modal")).to_be_visible(timeout=10000)
    await expect(page.locator("#modal-text")).to_contain_text("钱包助手，为你服务")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-start.png"))
    await page.click("#modal-ok")

    await welcome.get_by_role("button", name="帮助").click()
    await expect(page.locator(".msg:not(.mine)").filter(has_text="即将上线")).to_have_count(1, timeout=10000)

    await page.click("#lang-toggle")  # the page's own texts switch language
    await expect(page.locator("#send-button")).to_have_text("Send")
    await page.screenshot(path=str(ARTIFACTS / "webchat-help.png"))
