"""The wallet domain: ledger, money, people, cards, PINs, transfers, red packets.

Knows nothing of Telegram. Service operations live in ``wallet.services``.
"""
