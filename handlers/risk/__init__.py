"""Risk control in chat, the admins' side (admins: ``Settings.admin_ids``, ``WALLET_ADMIN_IDS``).
The person's side (recent safety checks, anti-theft settings) is in /security (handlers/security/).

Modules:
- ``callbacks``: every button (prefix ``risk``) and ``OUTBOX_ACTIONS``, the buttons the admins'
  notice of a held payment carries (``risk.release``, ``risk.return``);
- ``review``: ``/risk``, the payments held for review (who, kind, amount, when, why) with Release /
  Return, and the latest freezes with their reasons; who may see it (``admin_only``);
- ``holds``: Release / Return ask first, then end the hold (``risk_holds.release`` /
  ``give_back``); the outcome replaces the question; ``register`` adds /risk and every button;
- ``words``: decisions in words (why, what it did, what kind, who), shared with /security.
"""
