"""Abnormal-transaction reports (异常交易): the reporter's side and the admins' side.

Modules:
- ``callbacks``: every button of the reports, as typed classes that build, register and parse
  them: the reporter's (``ticket:…``) and the admins' (``tka:…``).
- ``report``: ``/report`` (or a bill's "I don't recognise this"): which bill, what is wrong, a
  description, the report opened, with Freeze now, Change PIN and the evidence pack; its
  ``register`` adds /tickets and the reporter's buttons too.
- ``listing``: ``/tickets``: the person's reports and one report with its history (an admin sees
  the open ones instead).
- ``cards``: what the messages show and share: a bill as one line, the admin's card of a report,
  the evidence pack as documents, who the admins are (``admin_press``), sending the outbox now.
- ``admin``: the admins' buttons (show, resolve, evidence) and the reply (``register_reply``, the
  first flow bot/app.py adds, so an admin's next text is the reply whatever else waits).
- ``admin_freeze``: an admin freezes the account on the other side of a report's bill (asks first).
- ``draft``: the drafts of a report (``ReportDraft``) and of an admin's reply (``ReplyDraft``).

Buttons (handlers/tickets/callbacks.py): ``Pick`` (``ticket:pick:0``), ``Report``
(``ticket:report:<journal id>``), ``Confirm`` (``ticket:why|skip|no:<i>:<nonce>``), ``Freeze``
(``ticket:freeze:<ticket id>``), ``Mine`` (``ticket:list:0``), ``Show`` (``ticket:show:<ticket id>``);
the admins' ``Reply``, ``Resolve``, ``Evidence``, ``ShowCard``, ``FreezeAsk``, ``FreezeYes``,
``FreezeNo`` (``tka:reply|resolve|evidence|show|freeze|freezeok|freezeno:<ticket id>``). Any other
``ticket:`` / ``tka:`` press is refused by the feature's own catch-alls.
"""
