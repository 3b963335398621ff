"""Alerts: the person's alert settings and ``/tip`` (the alerts themselves are jobs/alerts.py).

Modules:
- ``settings.py``: the alert settings (from /settings → Alerts): low-balance threshold, security
  tips daily / weekly / off, quiet hours, the PIN-age reminder; one message edited in place;
  ``parse`` tells a press's preference changes (None: not offered, refused with a popup);
- ``tip.py``: ``/tip``, one security tip now;
- ``callbacks.py``: its buttons.

Buttons (callbacks.py): ``alr:menu``, ``alr:lowtype``, ``alr:low:<fen|off>``,
``alr:tips:<daily|weekly|off>``, ``alr:quiet:<index|off>``, ``alr:pin:<days|off>``.
"""
