"""The layering of DESIGN §1, read from the code's own imports (every ``import``, at the top of a
module or inside a function): the domain knows no messenger, flows touch no SQL, jobs never reach
into flows, and no two modules import each other, directly or around a circle."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("wallet", "handlers", "chat", "jobs", "bot", "emulator")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(path: Path, name: str) -> set[str]:
    """Every module ``name`` imports (absolute names; ``from x import y`` counts y when it is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: {m for m in imports_of(path, name) if m in mods and m != name} for name, path in mods.items()}


def raw_imports() -> dict[str, set[str]]:
    return {name: imports_of(path, name) for name, path in modules().items()}


def starts(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_domain_knows_no_messenger_nor_the_layers_above():
    bad = {m: sorted(i for i in imps if starts(i, "telegram", "handlers", "chat", "jobs", "bot", "emulator"))
           for m, imps in raw_imports().items() if starts(m, "wallet")}
    assert not {m: i for m, i in bad.items() if i}


def test_flows_touch_no_sql_and_no_schema():
    bad = {m: sorted(i for i in imps if starts(i, "sqlalchemy", "asyncpg", "aiosqlite", "wallet.models", "wallet.db",
                                            "wallet.uow"))
           for m, imps in raw_imports().items() if starts(m, "handlers", "chat")}
    assert not {m: i for m, i in bad.items() if i}


def test_jobs_and_the_presentation_never_import_the_flows():
    bad = {m: sorted(i for i in imps if starts(i, "handlers"))
           for m, imps in raw_imports().items() if starts(m, "jobs", "chat")}
    assert not {m: i for m, i in bad.items() if i}


def test_the_emulator_stands_alone():
    bad = {m: sorted(i for i in imps if starts(i, "wallet", "handlers", "chat", "jobs", "bot"))
           for m, imps in raw_imports().items() if starts(m, "emulator")}
    assert not {m: i for m, i in bad.items() if i}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def _without_packages(g: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's ``__init__`` re-exporting its modules is not a circle of theirs."""
    mods = set(g)
    packages = {m for m in mods if any(o.startswith(m + ".") for o in mods)}
    return {m: {i for i in imps if i not in packages} for m, imps in g.items() if m not in packages}


def test_no_module_imports_itself_around_a_circle():
    assert cycles(_without_packages(graph())) == []
