"""In-process state of the chat that grows with people is bounded (the last flow each person used)."""
from __future__ import annotations

from types import SimpleNamespace

from handlers.ui import entry


def _update(uid: int):
    return SimpleNamespace(effective_user=SimpleNamespace(id=uid))


def test_the_last_flow_per_person_keeps_only_the_most_recent_people(monkeypatch):
    monkeypatch.setattr(entry, "ACTIVE_MAX", 3)
    monkeypatch.setattr(entry, "_active", entry.OrderedDict())
    for uid in (1, 2, 3):
        entry.activate(_update(uid), "topup")
    entry.activate(_update(1), "cards")  # 1 is the most recent again
    entry.activate(_update(4), "bills")  # 2, the least recent, goes
    assert list(entry._active) == [3, 1, 4]
    assert entry.is_active(_update(2), "anything")  # forgotten: any waiting step may take the text
    assert entry.is_active(_update(1), "cards") and not entry.is_active(_update(1), "topup")


def test_red_packet_edit_times_keep_only_what_still_decides_a_wait(monkeypatch):
    from handlers.red_packet import card

    monkeypatch.setattr(card, "_last_edit", {})
    monkeypatch.setattr(card, "PRUNE_AT", 10)
    clock = [1000.0]
    monkeypatch.setattr(card.time, "monotonic", lambda: clock[0])
    for packet in range(50):
        card._note_edit(packet)
        clock[0] += card.EDIT_INTERVAL  # each older than the interval by the next edit
    assert len(card._last_edit) <= 11
    assert 49 in card._last_edit  # the latest is always kept
