"""The shape of the package, read from its source with ``ast``: who may import what.

Modules share code through public names. A private module at the top of the package (``routes._web``,
``routes._frame``...) holds an internal API under public names that any module may import; inside a
sub-package (``routes.maps``, ``routes.briefs``, ``routes.publish``) the private submodules may import each
other's private names (scikit-learn's style), and no module outside the sub-package may reach them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import routes

ROOT = Path(routes.__file__).parent


def _dotted(path: Path) -> str:
    """``routes/maps/_draw.py`` → ``routes.maps._draw``; ``routes/maps/__init__.py`` → ``routes.maps``."""
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_dotted(path): path for path in sorted(ROOT.rglob("*.py"))}


MODULES = _modules()


def _package_of(module: str) -> str:
    """The package a module's private names belong to: itself for a package, else its parent."""
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _reach_problem(importer: str, module: str) -> str | None:
    """Why ``importer`` may not reach ``module``: a private component owned by a package it is outside."""
    parts = module.split(".")
    for i, part in enumerate(parts[1:], start=1):
        owner = ".".join(parts[:i])
        if _private(part) and not (importer == owner or importer.startswith(owner + ".")):
            return f"reaches {module}, private to {owner}"
    return None


def _name_problem(importer: str, module: str, name: str) -> str | None:
    """Why ``importer`` may not use ``name`` of ``module`` (``None`` when it may)."""
    if f"{module}.{name}" in MODULES:  # a submodule, not a name
        return _reach_problem(importer, f"{module}.{name}")
    problem = _reach_problem(importer, module)
    if problem or not _private(name):
        return problem
    package = _package_of(module)
    shares = package != "routes" and _package_of(importer) == package
    return None if shares else f"imports private name {name} of {module}"


def _absolute(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package_of(importer).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _problems(importer: str, tree: ast.Module) -> Iterator[str]:
    bound: dict[str, str] = {}  # local name → routes module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = _absolute(importer, node)
            if module not in MODULES:
                continue
            for alias in node.names:
                if problem := _name_problem(importer, module, alias.name):
                    yield f"{importer}:{node.lineno} {problem}"
                if f"{module}.{alias.name}" in MODULES:
                    bound[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    if problem := _reach_problem(importer, alias.name):
                        yield f"{importer}:{node.lineno} {problem}"
                    if alias.asname:
                        bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = bound.get(node.value.id)
            if owner and (problem := _name_problem(importer, owner, node.attr)):
                yield f"{importer}:{node.lineno} {problem}"


def _tree(module: str) -> ast.Module:
    return ast.parse(MODULES[module].read_text(encoding="utf-8"))


def test_no_module_imports_a_private_name_from_outside_its_package() -> None:
    """``from routes.maps import _short`` (or ``maps._short``) from outside ``routes.maps`` is a coupling
    the owner cannot see; ``routes.maps._draw`` importing ``_layer`` from ``routes.maps._layers`` is not."""
    found = [problem for module in MODULES for problem in _problems(module, _tree(module))]
    assert not found, found


@pytest.mark.parametrize(
    ("importer", "source", "allowed"),
    [
        ("routes.maps._draw", "from routes.maps._layers import _layer", True),
        ("routes.maps._draw", "from routes.maps import _words", True),
        ("routes.cli", "from routes._web import escape_text", True),
        ("routes.cli", "from routes import _assets", True),
        ("routes.cli", "from routes.maps import _short", False),
        ("routes.cli", "from routes.maps._words import _short", False),
        ("routes.cli", "from routes.maps._words import LANGUAGES", False),
        ("routes.cli", "from routes import maps\nmaps._short('x')", False),
        ("routes.briefs._render", "from routes.maps._layers import _layer", False),
        ("routes.scale", "from routes.io import _private_helper", False),
    ],
)
def test_the_rule_tells_a_package_s_own_imports_from_a_reach_inside_another(
    importer: str, source: str, allowed: bool
) -> None:
    """The checker itself, on imports written for it: what it lets through and what it reports."""
    assert (not list(_problems(importer, ast.parse(source)))) is allowed


#: The functions that count people under a disclosure policy: only the publishing side calls them.
COUNTING = frozenset({"release_counts", "release_rate", "release_rates", "counting"})


def _names_used(module: str) -> set[str]:
    """Every name ``module`` imports, reads or reads as an attribute."""
    names: set[str] = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def _renders(module: str) -> bool:
    """Whether ``module`` is ``routes.maps``, ``routes.briefs`` or one of their submodules."""
    return module.split(".")[:2] in (["routes", "maps"], ["routes", "briefs"])


RENDERERS = sorted(filter(_renders, MODULES))


@pytest.mark.parametrize("module", RENDERERS)
def test_maps_and_briefs_render_and_never_count(module: str) -> None:
    """Maps and briefs draw what ``routes.publish`` counted: no module of theirs reaches the counting
    functions of :mod:`routes.privacy` (``route_map`` and ``route_brief`` count through
    ``routes.publish.layers`` and ``routes.publish.findings``)."""
    assert not _names_used(module) & COUNTING


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("routes.publish")))
def test_publishing_never_imports_the_products_it_feeds(module: str) -> None:
    """Data flow one way, publish counts and maps and briefs render: nothing in ``routes.publish`` imports
    ``routes.maps`` or ``routes.briefs``, not even inside a function."""
    imported = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.ImportFrom):
            imported |= {node.module or "", *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    assert not set(filter(_renders, imported))
