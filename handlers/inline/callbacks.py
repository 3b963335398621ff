"""Inline mode sends no buttons of its own: the results it offers, and the cards they post, are the
features' (their ids ``tf:<nonce>`` / ``hb:<nonce>`` and the cards' buttons are stated in
handlers/transfer/callbacks.py and handlers/red_packet/callbacks.py). Nothing here: this module
exists so a newcomer finds that out where every feature keeps its buttons."""
