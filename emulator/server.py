"""The emulator's aiohttp application and `start_emulator(host, port)`.

    runner = await start_emulator("127.0.0.1", 0)      # port 0: any free port
    runner.url             # http://127.0.0.1:PORT  (the web chat is at runner.url + "/")
    runner.bot_base_url    # for ApplicationBuilder().base_url(...)
    runner.file_base_url   # for ApplicationBuilder().base_file_url(...)
    runner.world           # the in-memory world (people, chats, messages)
    await runner.cleanup()
"""
from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from aiohttp import web

from emulator import botapi, control
from emulator.botapi import WORLD
from emulator.webhook import WebhookSender
from emulator.world import DEFAULT_TOKEN, World

SENDER = web.AppKey("webhook_sender", asyncio.Task)

WEB = Path(__file__).parent / "web"
_TYPES = {".html": "text/html", ".js": "application/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


async def _index(request: web.Request) -> web.StreamResponse:
    return _static_file(WEB / "index.html")


async def _static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = (WEB / name).resolve()
    if WEB.resolve() not in path.parents or not path.is_file():
        raise web.HTTPNotFound()
    return _static_file(path)


def _static_file(path: Path) -> web.Response:
    return web.Response(body=path.read_bytes(), content_type=_TYPES.get(path.suffix, "application/octet-stream"),
                        charset="utf-8" if path.suffix in _TYPES else None,
                        headers={"Cache-Control": "no-cache"})


async def _on_startup(app: web.Application) -> None:
    app[SENDER] = asyncio.create_task(WebhookSender(app[WORLD]).run())


async def _on_shutdown(app: web.Application) -> None:
    app[WORLD].close()  # wake every long poll so the server stops at once


async def _on_cleanup(app: web.Application) -> None:
    task = app[SENDER]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def create_app(world: World | None = None, token: str = DEFAULT_TOKEN, bot_username: str = "WalletDemoBot",
               privacy_mode: bool = True) -> web.Application:
    app = web.Application(middlewares=[control.errors], client_max_size=60 * 1024 * 1024)
    app[WORLD] = world or World(token=token, bot_username=bot_username, privacy_mode=privacy_mode)
    botapi.add_routes(app)
    control.add_routes(app)
    app.router.add_get("/", _index)
    app.router.add_get("/static/{name}", _static)
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)
    return app


class EmulatorRunner(web.AppRunner):
    """An AppRunner that knows its address and world."""

    host: str
    port: int

    @property
    def world(self) -> World:
        return self.app[WORLD]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def token(self) -> str:
        return self.world.token


async def start_emulator(host: str = "127.0.0.1", port: int = 8080, *, token: str = DEFAULT_TOKEN,
                         bot_username: str = "WalletDemoBot", world: World | None = None,
                         privacy_mode: bool = True) -> EmulatorRunner:
    runner = EmulatorRunner(create_app(world, token=token, bot_username=bot_username, privacy_mode=privacy_mode),
                            shutdown_timeout=2.0, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    runner.host = host
    runner.port = runner.addresses[0][1]
    return runner


def main() -> None:
    """`python -m emulator.server [port]`: the emulator alone (no bot), for poking at it with curl."""
    import asyncio
    import sys

    async def serve() -> None:
        runner = await start_emulator("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
        print(f"emulator at {runner.url}/  token {runner.token}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
