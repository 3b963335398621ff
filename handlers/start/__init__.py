"""The bot's front door that needs no wallet: /help, the welcome (in groups, and a private /start
no other flow took), the command menu, and the person blocking or unblocking the bot.

Modules:
- ``help.py``: ``/start`` (the welcome), ``/help``, the welcome's buttons, the command menu (``COMMANDS``);
- ``blocked.py``: Telegram's ``my_chat_member`` update: marks a person who blocked the bot (and unmarks);
- ``callbacks.py``: its buttons.

Buttons (callbacks.py): ``st:help``, ``st:about``, ``st:lang`` (under the welcome).
"""
