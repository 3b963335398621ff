"""Each feature states its buttons once, in ``handlers/<feature>/callbacks.py`` (typed
``handlers.ui.callbacks.Button`` classes), and no two features share a prefix: a press is always
parsed by the feature that built it."""
from __future__ import annotations

import importlib
import pkgutil

import handlers
from handlers.ui.callbacks import Button

SHARED = {"handlers.ui"}  # the shared pieces (the keypad's ``pin``) state theirs in handlers/ui/callbacks.py


def features() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(handlers.__path__, "handlers.") if m.ispkg and m.name not in SHARED)


def buttons_of(module) -> set[type[Button]]:
    return {v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Button) and v.prefix}


def test_every_feature_with_buttons_states_them_in_its_callbacks_module():
    missing = [f for f in features() if importlib.util.find_spec(f"{f}.callbacks") is None]
    assert not missing, f"features without a callbacks.py: {missing}"


def test_no_two_features_share_a_prefix():
    owner: dict[str, str] = {}
    clashes = []
    for feature in features():
        module = importlib.import_module(f"{feature}.callbacks")
        for prefix in {b.prefix for b in buttons_of(module)}:
            if prefix in owner and owner[prefix] != feature:
                clashes.append((prefix, owner[prefix], feature))
            owner[prefix] = feature
    assert not clashes
