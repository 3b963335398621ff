"""Bills (账单): the person's money in and out, in the private chat (``/bills``, the home's Bills).

Modules:
- ``callbacks``: every button of the bills (``bill:…``), as typed classes that build, register
  and parse them, and ``View`` (the list's page and filters carried in the buttons).
- ``common``: what the screens share: the draft's name, local times, the last 12 months, and
  ``pressed`` (the door every list press goes through: the person's own open wallet, private chat).
- ``listing``: the list (10 a page, newest first; filters all / in / out, month, kind; transfers
  waiting for the person on top) and ``register``, which adds the whole feature (bot/app.py).
- ``detail``: a line's detail with its reference number and "I don't recognise this" (the report
  flow, handlers/tickets); Accept / Return of a transfer waiting for the person, Revoke of one's own
  delayed transfer.
- ``draft``: a detail's draft (``DetailDraft``: the transfer, the verbs its buttons offer).
- ``export``: the monthly summary (a chart, or its figures and why the picture is missing) and the
  exports (a month or a typed range: a CSV document and a PDF statement).

Buttons (handlers/bills/callbacks.py): ``List``, ``MonthPicker``, ``KindPicker``, ``Detail``,
``Waiting``, ``Summary``, ``Export`` (``bill:<verb>:<id>:<view>``), ``ExportMonth``
(``bill:xm:<YYYYMM>``), ``Accept`` / ``Return`` / ``Revoke`` (``bill:acc|ret|rev:<transfer id>:<nonce>``);
any other ``bill:`` press gets the bills' own "this button is no longer valid".
"""
