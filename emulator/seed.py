"""A few people and a group so a newcomer can try the bot at once (only into an empty world)."""
from __future__ import annotations

from emulator.world import World

PEOPLE = [
    {"first_name": "Alice", "last_name": "Wang", "username": "alice", "language_code": "zh-CN", "phone_number": "+8613800000001"},
    {"first_name": "Bob", "last_name": "Smith", "username": "bob", "language_code": "en", "phone_number": "+8613800000002"},
    {"first_name": "Carol", "last_name": "Li", "username": "carol", "language_code": "zh-CN", "phone_number": "+8613800000003"},
]


def seed_demo(world: World, group_title: str = "周末聚餐 Weekend dinner") -> bool:
    """Add Alice (zh-CN), Bob (en), Carol (zh-CN) and a group with them; False if the world was not empty."""
    if world.users or world.chats:
        return False
    people = [world.add_user(**p) for p in PEOPLE]
    world.add_group(group_title, [p.id for p in people])
    return True
