"""/start (a newcomer meets the opening flow) and /help through the emulator, in both languages."""
from __future__ import annotations


async def test_start_in_chinese_offers_languages_pre_chosen_and_the_sandbox(bot, people, alice):
    await alice.send("/start")
    welcome = await alice.expect(contains="钱包助手")
    assert "你好，Alice" in welcome.text and "沙箱" in welcome.text
    assert welcome.buttons == ["✓ 中文", "English"]
    answer = await alice.press(welcome, "English")
    assert answer.text == "Language: English"
    intro = await alice.expect(contains="What is stored")
    assert intro.buttons == ["✅ Open my wallet"]


async def test_start_in_english_and_help(bot, people, bob):
    await bob.send("/start")
    welcome = await bob.expect(contains="wallet assistant")
    assert welcome.buttons == ["中文", "✓ English"] and "Sandbox" in welcome.text
    await bob.send("/help")
    await bob.expect(contains="What I can do")


async def test_help_and_group_welcome(bot, people, alice, bob):
    await bob.send("/help")
    assert "/start" in (await bob.expect(contains="What I can do")).text
    group = await people.group("Friends", alice, bob)
    await alice.send(group, "/start@WalletDemoBot")
    msg = await bob.expect(group, contains="大家好")
    assert msg.raw["chat"]["type"] == "group"


async def test_commands_menu_is_set_in_both_languages(bot, people):
    data = await people.call("GET", "/control/bot", params={"language_code": "en"})
    assert {"command": "help", "description": "What I can do"} in data["commands"]
    data = await people.call("GET", "/control/bot", params={"language_code": "zh"})
    assert {"command": "help", "description": "我能做什么"} in data["commands"]
