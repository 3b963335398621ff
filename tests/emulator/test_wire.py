"""Where a bot would notice a difference from Telegram, pinned on the wire with raw HTTP:
GET bodies, getUpdates conflicts, supergroups and migration, removing the bot, update_id across a
reset, refusals and their texts, Retry-After, photo sizes."""
from __future__ import annotations

import asyncio
import io
import json
import time

import aiohttp
import pytest
from PIL import Image

from tests.emulator.test_chat_flows import Api, messages

pytestmark = pytest.mark.timeout(60)

CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


@pytest.fixture
async def api(emulator):
    async with aiohttp.ClientSession() as session:
        yield Api(session, emulator)


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


# ---- request bodies ------------------------------------------------------------------------------
async def test_a_get_request_body_is_read(api, people, alice):
    """Some clients send getUpdates and getFile as GET with a JSON body: Telegram reads it."""
    await alice.send("first")
    await alice.send("second")
    url = f"{api.base}/getUpdates"
    async with api.session.get(url, json={"offset": 0, "timeout": 0}) as res:
        updates = (await res.json())["result"]
    assert [u["message"]["text"] for u in updates] == ["first", "second"]
    async with api.session.get(url, json={"offset": updates[-1]["update_id"] + 1, "timeout": 0}) as res:
        assert (await res.json())["result"] == []  # the offset in the GET body confirmed both
    async with api.session.get(url, data={"offset": "0"}) as res:  # a form body with GET too
        assert (await res.json())["result"] == []
    await alice.send("third")
    async with api.session.get(url, params={"timeout": "0"}) as res:  # and the query string
        assert [u["message"]["text"] for u in (await res.json())["result"]] == ["third"]
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("document", b"a,b\n", filename="bill.csv", content_type="text/csv")
    async with api.session.post(f"{api.base}/sendDocument", data=form) as res:
        file_id = (await res.json())["result"]["document"]["file_id"]
    async with api.session.get(f"{api.base}/getFile", json={"file_id": file_id}) as res:
        assert res.status == 200 and (await res.json())["result"]["file_path"].endswith(".csv")


async def test_a_form_body_on_get_confirms_updates(api, people, alice):
    """pyTelegramBotAPI's async client sends getUpdates as GET with a form-encoded body: its offset
    must confirm the update, or the bot handles the same update again and again."""
    await alice.send("once")
    url = f"{api.base}/getUpdates"
    async with api.session.get(url, data={"timeout": "0"}) as res:
        updates = (await res.json())["result"]
    assert [u["message"]["text"] for u in updates] == ["once"]
    form = {"offset": str(updates[-1]["update_id"] + 1), "timeout": "0"}
    async with api.session.get(url, data=form) as res:
        assert (await res.json())["result"] == []
    async with api.session.get(url, data={"timeout": "0"}) as res:  # the offset above confirmed it
        assert (await res.json())["result"] == []
    await alice.send("next")
    async with api.session.get(url, data={"timeout": "0", "limit": "1"}) as res:
        assert [u["message"]["text"] for u in (await res.json())["result"]] == ["next"]


async def test_every_method_reads_a_form_or_multipart_body_whatever_the_http_method(api, people, alice):
    await alice.send("/start")
    for verb in ("GET", "PUT", "DELETE"):
        async with api.session.request(verb, f"{api.base}/sendMessage",
                                       data={"chat_id": str(alice.id), "text": f"form {verb}"}) as res:
            assert (await res.json())["result"]["text"] == f"form {verb}"
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("document", b"x,y\n", filename="get.csv", content_type="text/csv")
    async with api.session.get(f"{api.base}/sendDocument", data=form) as res:
        body = await res.json()
    assert body["ok"] and body["result"]["document"]["file_name"] == "get.csv"


# ---- getUpdates conflicts ------------------------------------------------------------------------
async def test_a_short_poll_leaves_a_running_long_poll_alone(api, people, alice):
    await alice.send("/start")
    await api.drain()
    long_poll = asyncio.create_task(api("getUpdates", timeout=10))
    await asyncio.sleep(0.3)
    status, body = await api("getUpdates", timeout=0)
    assert (status, body["result"]) == (200, [])
    await asyncio.sleep(0.3)
    assert not long_poll.done()
    await alice.send("for the long poll")
    status, body = await asyncio.wait_for(long_poll, 5)
    assert status == 200 and [u["message"]["text"] for u in body["result"]] == ["for the long poll"]


async def test_a_second_long_poll_ends_the_first_at_once(api, people, alice):
    first = asyncio.create_task(api("getUpdates", timeout=20))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    second = asyncio.create_task(api("getUpdates", timeout=20))
    status, body = await asyncio.wait_for(first, 5)
    assert time.monotonic() - started < 1.5
    assert (status, body["error_code"], body["description"]) == (409, 409, CONFLICT)
    assert not second.done()
    await alice.send("to the newer poll")
    status, body = await asyncio.wait_for(second, 5)
    assert [u["message"]["text"] for u in body["result"]] == ["to the newer poll"]


# ---- reset ----------------------------------------------------------------------------------------
async def test_update_id_never_goes_backwards_across_a_reset(api, people, alice):
    await alice.send("before")
    [before] = await api.ok("getUpdates")
    offset = before["update_id"] + 1
    await people.reset()
    carol = await people.person("Carol")
    await carol.send("after the reset")
    after = await api.ok("getUpdates", offset=offset)  # the bot keeps its old offset
    assert [u["message"]["text"] for u in after] == ["after the reset"]
    assert after[0]["update_id"] >= offset


# ---- supergroups, migration, removal ------------------------------------------------------------
async def test_supergroup_and_group_created_messages(api, people, alice, bob):
    group = await people.group("Basic", alice, bob)
    sg = await people.supergroup("Super", alice, bob)
    assert str(sg.id).startswith("-100") and len(str(sg.id)) == 14 and group.id < 0
    updates = await api.drain()
    created = messages(updates)
    assert created[0]["group_chat_created"] is True and created[0]["chat"] == {"id": group.id, "type": "group", "title": "Basic"}
    assert created[1]["supergroup_chat_created"] is True and created[1]["chat"]["type"] == "supergroup"
    assert created[1]["from"]["id"] == alice.id
    joined = [u["my_chat_member"] for u in updates if "my_chat_member" in u]
    assert [(j["chat"]["id"], j["new_chat_member"]["status"]) for j in joined] == [(group.id, "member"), (sg.id, "member")]
    chat = await api.ok("getChat", chat_id=sg.id)
    assert chat["type"] == "supergroup" and chat["title"] == "Super"
    await api.ok("sendMessage", chat_id=sg.id, text="hello supergroup")


async def test_group_migrates_to_a_supergroup(api, people, alice, bob):
    group = await people.group("Dinner", alice, bob)
    await api.drain()
    sg = await people.migrate(group, alice)
    assert str(sg.id).startswith("-100") and sg.member_ids == group.member_ids
    got = messages(await api.drain())
    assert [(m["chat"]["id"], m.get("migrate_to_chat_id"), m.get("migrate_from_chat_id")) for m in got] == \
        [(group.id, sg.id, None), (sg.id, None, group.id)]
    status, body = await api("sendMessage", chat_id=group.id, text="old group")
    assert (status, body["description"], body["parameters"]) == \
        (400, "Bad Request: group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": sg.id})
    await api.ok("sendMessage", chat_id=sg.id, text="moved")
    assert (await bob.expect(sg, contains="moved")).chat_id == sg.id


async def test_ptb_follows_a_migration(emulator, people, alice, bob):
    from telegram import Bot
    from telegram.error import ChatMigrated

    group = await people.group("Dinner", alice, bob)
    sg = await people.migrate(group, alice)
    async with Bot(emulator.token, base_url=emulator.bot_base_url) as bot:
        with pytest.raises(ChatMigrated) as caught:
            await bot.send_message(group.id, "hi")
        assert caught.value.new_chat_id == sg.id


async def test_a_person_removes_the_bot_and_adds_it_again(api, people, emulator, alice, bob):
    group = await people.group("Dinner", alice, bob)
    sg = await people.supergroup("Super", alice, bob)
    await api.drain()
    bot_id = emulator.world.bot.id
    await alice.remove(group, bot_id)
    await bob.remove(sg, bot_id)
    kicked = [u["my_chat_member"] for u in await api.drain()]
    assert [(k["chat"]["id"], k["from"]["id"], k["old_chat_member"]["status"], k["new_chat_member"]["status"],
             k["new_chat_member"].get("until_date")) for k in kicked] == \
        [(group.id, alice.id, "member", "kicked", 0), (sg.id, bob.id, "member", "kicked", 0)]
    for chat, kind in ((group, "group chat"), (sg, "supergroup chat")):
        status, body = await api("sendMessage", chat_id=chat.id, text="still here?")
        assert (status, body["description"]) == (403, f"Forbidden: bot was kicked from the {kind}")
    assert (await api.ok("getChatMember", chat_id=group.id, user_id=bot_id))["status"] == "kicked"
    await alice.send(group, "/start")  # nothing reaches a bot that is not in the group
    assert await api.drain() == []
    await people.call("POST", f"/control/chats/{group.id}/members", json={"user_id": bot_id, "by": alice.id})
    back = await api.drain()
    assert [u["my_chat_member"]["new_chat_member"]["status"] for u in back if "my_chat_member" in u] == ["member"]
    assert messages(back)[0]["new_chat_members"][0]["id"] == bot_id
    await api.ok("sendMessage", chat_id=group.id, text="back")


async def test_the_bot_leaves_and_people_leave(api, people, emulator, alice, bob):
    group = await people.group("Dinner", alice, bob)
    await api.drain()
    await bob.remove(group, bob)  # Bob leaves
    [left] = messages(await api.drain())
    assert left["left_chat_member"]["id"] == bob.id
    assert await api.ok("leaveChat", chat_id=group.id) is True
    [mcm] = [u["my_chat_member"] for u in await api.drain()]
    assert mcm["new_chat_member"]["status"] == "left"
    status, body = await api("sendMessage", chat_id=group.id, text="x")
    assert (status, body["description"]) == (403, "Forbidden: bot is not a member of the group chat")


# ---- refusals and their texts ---------------------------------------------------------------------
async def test_username_of_a_person_is_not_a_chat(api, people, alice):
    await alice.send("/start")
    status, body = await api("sendMessage", chat_id="@alice", text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    status, body = await api("getChat", chat_id="@alice")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_missing_chat_id_and_unknown_parse_mode(api, people, alice):
    await alice.send("/start")
    for params in ({"text": "hi"}, {"chat_id": "", "text": "hi"}):
        status, body = await api("sendMessage", **params)
        assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    status, body = await api("sendMessage", chat_id=alice.id, text="hi", parse_mode="Bogus")
    assert (status, body["description"]) == (400, "Bad Request: unsupported parse_mode")


async def test_file_type_mismatch(api, people, alice):
    await alice.send("/start")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("photo", png(30, 20), filename="a.png", content_type="image/png")
    async with api.session.post(f"{api.base}/sendPhoto", data=form) as res:
        photo = (await res.json())["result"]["photo"][-1]["file_id"]
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("document", b"a,b\n", filename="a.csv", content_type="text/csv")
    async with api.session.post(f"{api.base}/sendDocument", data=form) as res:
        document = (await res.json())["result"]["document"]["file_id"]
    status, body = await api("sendDocument", chat_id=alice.id, document=photo)
    assert (status, body["description"]) == (400, "Bad Request: type of file mismatch")
    status, body = await api("sendPhoto", chat_id=alice.id, photo=document)
    assert (status, body["description"]) == (400, "Bad Request: type of file mismatch")
    assert (await api.ok("sendPhoto", chat_id=alice.id, photo=photo))["photo"][-1]["file_id"] == photo
    status, body = await api("sendPhoto", chat_id=alice.id, photo=photo, caption="<b>x</b>", parse_mode="html5")
    assert (status, body["description"]) == (400, "Bad Request: unsupported parse_mode")


async def test_invalid_command_names_keep_the_old_list(api, people):
    good = [{"command": "start", "description": "Start"}, {"command": "pay_2", "description": "Pay"}]
    assert await api.ok("setMyCommands", commands=json.dumps(good)) is True
    for bad in ("Start", "pay-me", "a" * 33, "", "转账"):
        status, body = await api("setMyCommands", commands=[{"command": bad, "description": "x"}, good[0]])
        assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID"), bad
    assert await api.ok("getMyCommands") == good


async def test_429_has_the_retry_after_header(api, people, alice):
    await alice.send("/start")
    await people.rate_limit(count=1, retry_after=7, methods=["sendMessage"])
    async with api.session.post(f"{api.base}/sendMessage", json={"chat_id": alice.id, "text": "x"}) as res:
        body = await res.json()
        assert res.status == 429 and res.headers["Retry-After"] == "7"
    assert body == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                    "parameters": {"retry_after": 7}}


# ---- photos -----------------------------------------------------------------------------------------
async def test_photos_come_in_several_sizes(api, people, alice):
    await alice.send("/start")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("photo", png(1000, 600), filename="qr.png", content_type="image/png")
    async with api.session.post(f"{api.base}/sendPhoto", data=form) as res:
        sizes = (await res.json())["result"]["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 54), (320, 192), (800, 480), (1000, 600)]
    assert len({s["file_id"] for s in sizes}) == 4 and len({s["file_unique_id"] for s in sizes}) == 4
    small = await api.ok("getFile", file_id=sizes[0]["file_id"])
    async with api.session.get(f"{api.base.replace('/bot', '/file/bot')}/{small['file_path']}") as res:
        image = Image.open(io.BytesIO(await res.read()))
    assert image.size == (90, 54)
    again = await api.ok("sendPhoto", chat_id=alice.id, photo=sizes[0]["file_id"])  # any size sends the photo
    assert [s["file_id"] for s in again["photo"]] == [s["file_id"] for s in sizes]
    view = (await alice.expect(where=lambda m: bool(m.raw.get("photo")), since=0)).raw["photo"]
    assert (view["width"], len(view["sizes"])) == (1000, 4)  # the control API shows the largest, and all sizes

