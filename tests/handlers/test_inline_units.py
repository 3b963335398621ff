"""Inline mode's routing (handlers/inline/query.py): results are shown transfer first, then the red
packet, and a chosen result goes to the feature whose prefix its id carries (the ids the features
state in their callbacks.py)."""
from __future__ import annotations

import importlib

from handlers.inline.query import PROVIDERS, provider_of
from handlers.red_packet import callbacks as red_packet
from handlers.transfer import callbacks as transfer
from tests.handlers.test_button_prefixes import buttons_of

NONCE = "AbCdEfGh_-12"


def test_the_results_are_the_transfers_then_the_red_packets():
    assert [prefix for prefix, _, _ in PROVIDERS] == ["tf", "hb"]


def test_a_chosen_result_goes_to_the_feature_of_its_id():
    assert provider_of(transfer.InlineResult(NONCE).data()) == "tf"
    assert provider_of(transfer.InlineRefused("note").data()) == "tf"
    assert provider_of(red_packet.InlineResult(NONCE).data()) == "hb"
    assert provider_of(red_packet.InlineRefused("rp.greeting_too_long").data()) == "hb"
    for other in ("tfx:1", "zz:1", "", None, "tf"):
        assert provider_of(other) is None, other


def test_inline_mode_states_no_buttons_of_its_own():
    assert buttons_of(importlib.import_module("handlers.inline.callbacks")) == set()
