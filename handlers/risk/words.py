"""What risk control's decisions say in words, for the admins' /risk (handlers/risk/) and the
person's "Recent safety checks" (handlers/security/checks.py): why (the rules that fired, as the
``risk.rule.*`` texts), what it did (``risk.action.*``), what kind of payment, who (a first name,
escaped for HTML)."""
from __future__ import annotations

from telegram.helpers import escape

from chat.i18n import catalog, t

ACTIONS = ("allow", "ask", "hold", "refuse", "freeze")


def why(lang: str, rules: list[str] | tuple[str, ...]) -> str:
    """The rules in words, each once, in the order they fired; a rule without a text of its own
    (a newer engine's) and no rule at all read as "several risks at once"."""
    known = catalog(lang)
    words = [t(lang, f"risk.rule.{r}") if f"risk.rule.{r}" in known else t(lang, "risk.rule.score")
             for r in dict.fromkeys(rules)]
    return t(lang, "risk.chat.sep").join(dict.fromkeys(words)) or t(lang, "risk.rule.score")


def action(lang: str, name: str) -> str:
    """What a decision did: let through, asked for an SMS code, held, stopped, froze."""
    return t(lang, f"risk.action.{name}" if name in ACTIONS else "risk.action.other")


def kind(lang: str, name: str) -> str:
    msgid = f"risk.kind.{name}"
    return t(lang, msgid) if msgid in catalog(lang) else escape(name)


def who(lang: str, names: dict, user_id: int | None) -> str:
    """``Alice (123)``: an admin tells two Alices apart by the id; nobody: ``-``."""
    if user_id is None:
        return "-"
    found = names.get(user_id)
    first = found[2] if found else None
    return f"{escape(first or t(lang, 'notice.someone'))} ({user_id})"
