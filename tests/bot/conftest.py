"""Tests of the composition root (bot/): persistence, update processing, startup checks."""
from tests.people import *  # noqa: F401,F403  (fixtures: emulator, people, bot, ...)
