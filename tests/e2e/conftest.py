"""End-to-end tests: the real bot long-polling the emulator; people act through the control API."""
from tests.people import *  # noqa: F401,F403  (fixtures: emulator, people, bot, alice, bob, carol)
