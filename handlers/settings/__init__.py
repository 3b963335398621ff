"""Settings: language, time zone, default card, and the way to the alert settings (handlers/alerts).

Modules:
- ``menu.py``: ``/settings`` (or the home button), one message edited in place: the language, a
  common time zone by button or any IANA name typed, the default card; the conversation;
- ``callbacks.py``: its buttons.

Buttons (callbacks.py): ``set:menu``, ``set:lang:<zh|en>``, ``set:tzs`` (the zone list),
``set:tz:<index>``, ``set:tztype`` (type a zone), ``set:cards``, ``set:card:<card_id>``.
Entry point: the home's ``home:settings``.
"""
