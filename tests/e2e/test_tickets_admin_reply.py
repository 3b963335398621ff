"""An admin who pressed Reply on a report gets their next text taken as the reply, whatever other
flow waits for text: here the unfinished opening of the admin's own wallet (the language buttons,
then the SMS code step, which would take any text as a wrong code)."""
from __future__ import annotations

from tests.e2e.flows import bot, opened  # noqa: F401 (bot: the fixture)
from tests.e2e.steps import Opening, bot_settings
from tests.e2e.test_tickets import report




async def reply(admin, card, number: str, text: str) -> None:
    await admin.press(card, "Reply")
    await admin.expect(contains=f"Type your reply to report {number}")
    await admin.send(text)
    said = await admin.expect()
    assert f"Your reply to report {number} was sent" in said.text, said.text


async def test_an_admin_opening_a_wallet_replies_to_a_report(bot, ctx, people, bob):
    admin = await people.person("Admin", "en", phone_number="+8613800000009")
    bot_settings(bot).admin_ids = (admin.id,)
    await opened(ctx, bob, balance=300)
    await admin.send("/start")  # the opening starts: the language buttons
    welcome = await admin.expect(where=lambda m: "ob:lang:" in str(m.keyboard))
    x = await report(bot, ctx, bob)
    card = await admin.expect(contains=x["number"])

    await reply(admin, card, x["number"], "We are checking it with the bank")
    told = await bob.expect(contains="We are checking it with the bank")
    assert x["number"] in told.text
    await admin.send("hello")  # the reply is done: the opening's step answers again
    await admin.expect(contains="press one of the buttons")

    opening = Opening(people, admin)  # on to the SMS code step, a step that takes any text
    await admin.press(welcome, callback_data="ob:lang:en")
    intro = await admin.expect(where=lambda m: "ob:go" in str(m.keyboard))
    await admin.press(intro, callback_data="ob:go")
    await admin.expect(contains="1/5")
    await opening.share_phone()
    await reply(admin, card, x["number"], "Second answer: the bank confirmed the amount")
    await bob.expect(contains="Second answer: the bank confirmed the amount")
    code = ctx.sms.last_code(admin.phone_number.removeprefix("+86"))  # the in-process sandbox SMS
    await opening.type_phone_code(code)  # the opening goes on where it was: the code is taken


async def test_start_while_a_reply_waits_gives_the_text_back_to_the_opening(bot, ctx, people, bob):
    admin = await people.person("Admin", "en", phone_number="+8613800000009")
    bot_settings(bot).admin_ids = (admin.id,)
    await opened(ctx, bob, balance=300)
    await admin.send("/start")
    await admin.expect(where=lambda m: "ob:lang:" in str(m.keyboard))
    x = await report(bot, ctx, bob)
    card = await admin.expect(contains=x["number"])
    await admin.press(card, "Reply")
    await admin.expect(contains=f"Type your reply to report {x['number']}")
    await admin.send("/start")  # back to the opening: its step again, and it takes the text
    await admin.expect(where=lambda m: "ob:lang:" in str(m.keyboard))
    await admin.send("hello")
    await admin.expect(contains="press one of the buttons")
    await bob.expect_none(contains="hello", within=1.5)
