"""/start and /help through the emulator, in both languages, with a button press."""
from __future__ import annotations


async def test_start_in_chinese_and_press_about(bot, people, alice):
    await alice.send("/start")
    welcome = await alice.expect(contains="钱包助手")
    assert "你好，Alice" in welcome.text
    assert welcome.buttons == ["❓ 帮助", "ℹ️ 关于", "🌐 English"]
    answer = await alice.press(welcome, "关于")
    assert answer.show_alert and "钱包助手" in answer.text


async def test_start_in_english_help_button_and_language_switch(bot, people, bob):
    await bob.send("/start")
    welcome = await bob.expect(contains="wallet assistant")
    answer = await bob.press(welcome, "Help")
    assert answer.text is None and not answer.show_alert
    await bob.expect(contains="What I can do")
    answer = await bob.press(welcome, callback_data="st:lang")
    assert answer.text == "语言：中文"
    edited = await bob.expect(edited=True, contains="钱包助手")
    assert edited.id == welcome.id and "🌐 English" in edited.buttons


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
