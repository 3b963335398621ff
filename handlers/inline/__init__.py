"""Inline mode (``@bot 20`` in any chat): one entry for the whole bot.

Modules:

- ``query``: the bot's one InlineQueryHandler and ChosenInlineResultHandler; asks each feature for its
  results (handlers/transfer/inline.py, handlers/red_packet/inline.py) and hands a chosen result to the
  feature whose prefix its id carries (``tf:<nonce>``, ``hb:<nonce>``).
- ``callbacks``: empty on purpose: inline mode sends no buttons of its own; the cards and their
  buttons are the transfer's and the red packet's.
"""
