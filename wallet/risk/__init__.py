"""Risk control (issue 24): facts about an outgoing operation, rules over them, and the decision
(allow / ask again / hold / refuse / freeze) stored with its reasons. Knows nothing of Telegram.

Inside the operation's transaction, after the payer's row is locked and before money moves:

    from wallet.risk import decisions, engine, facts, settings
    risk = settings.load()                                   # once, at start
    f = await facts.gather(conn, payer_id=..., kind="transfer", amount=..., recipient_id=...,
                           now=now, rules=risk)
    d = engine.decide(f, risk, prefs)                        # prefs: engine.Prefs (the person's)
    await decisions.record(conn, d, user_id=..., kind="transfer", amount=..., key=key, now=now)

Modules: ``settings`` (settings.toml), ``facts`` (Facts, gather), ``rules`` (one function per
rule), ``prefs`` (the person's anti-theft settings), ``engine`` (decide), ``decisions`` (record).
"""
