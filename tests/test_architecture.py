"""The house stays readable: rag/ builds floor on floor as rag/__init__.py lists them, never
imports discord, the bot or the CLI; nothing imports in a circle; cogs share code only
through the bot's own modules; and no room grows past what a head can hold.

Imports are read from the source (ast), function-level ones included: a deferred import
that hides a circle is still a circle. Imports under `if TYPE_CHECKING:` are annotations,
not dependencies, and are left out."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# rag's floors, lowest first: a module may import its own floor and the ones below.
FLOORS = [
    {"rag", "rag.config", "rag.errors", "rag.files", "rag.logs", "rag.outages", "rag.records"},
    {"rag.text"}, {"rag.papers"}, {"rag.models"}, {"rag.store"}, {"rag.search"}, {"rag.claims"},
    {"rag.answers"}, {"rag.pictures"}, {"rag.people"}, {"rag.follows"}, {"rag.club"}, {"rag.engine"},
]
MAX_LINES = 430  # a room a head can hold; data modules (bot/i18n.py: the translations) excepted
DATA_MODULES = {"bot.i18n"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for d in ("rag", "bot", "cli") for p in (ROOT / d).rglob("*.py")}


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports(path: Path, known: set[str]) -> set[str]:
    """First-party modules `path` imports (anywhere but under TYPE_CHECKING)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in known}


def floor(module: str) -> int | None:
    for n, names in enumerate(FLOORS):
        if any(module == name or (name != "rag" and module.startswith(name + ".")) for name in names):
            return n
    return None


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports(p, set(mods)) - {m} for m, p in mods.items()}


def test_every_rag_module_is_on_a_floor_and_imports_only_its_floor_and_below():
    wrong = []
    for module, deps in graph().items():
        if not module.startswith("rag"):
            continue
        assert floor(module) is not None, f"{module} is on no floor: add it to FLOORS and rag/__init__.py"
        wrong += [f"{module} -> {d}" for d in deps if d.startswith("rag") and floor(d) > floor(module)]
    assert not wrong, "imports that go up a floor:\n" + "\n".join(sorted(wrong))


def test_rag_never_imports_discord_the_bot_or_the_cli():
    for module, path in modules().items():
        if module.startswith("rag"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
            assert not {n.split(".")[0] for n in names} & {"discord", "bot", "cli"}, module


def test_nothing_imports_in_a_circle():
    deps = graph()
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(deps.get(module, ())):
            # a package's __init__ importing its own modules is how packages work, not a circle
            if state.get(dep) == 1 and not module.startswith(dep + "."):
                raise AssertionError("import circle: " + " -> ".join([*path[path.index(dep):], dep]))
            if dep not in state:
                walk(dep, [*path, dep])
        state[module] = 2

    for module in sorted(deps):
        if module not in state:
            walk(module, [module])


def test_cogs_share_code_only_through_the_bots_own_modules():
    crossing = [f"{m} -> {d}" for m, ds in graph().items() if m.startswith("bot.cogs.")
                for d in ds if d.startswith("bot.cogs.") or d == "bot.app"]
    assert not crossing, crossing


def test_no_room_is_larger_than_a_head_can_hold():
    large = {m: n for m, p in modules().items()
             if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES and m not in DATA_MODULES}
    assert not large, large
