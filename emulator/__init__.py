"""The local messenger: a Telegram Bot API emulator with a control API and a web chat (DESIGN §6).

It imports nothing from the wallet, the handlers or the bot.
"""
from emulator.server import EmulatorRunner, create_app, start_emulator
from emulator.world import DEFAULT_TOKEN, World

__all__ = ["DEFAULT_TOKEN", "EmulatorRunner", "World", "create_app", "start_emulator"]
