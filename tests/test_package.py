"""The package's front door: a light import, lazy public names and submodules, one error family."""

import subprocess
import sys

import pytest

import routes
from routes import errors


def test_import_routes_loads_no_heavy_library() -> None:
    code = ("import sys, routes; heavy = ('folium', 'sklearn', 'hdbscan', 'playwright', 'matplotlib', "
            "'geopandas', 'dask'); print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", routes.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(routes, name) is not None


def test_submodules_are_reachable_from_the_package() -> None:
    assert routes.maps.route_map is routes.route_map
    assert routes.network.RouteNetwork is routes.RouteNetwork
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = routes.nonexistent


def test_every_error_of_the_toolkit_is_a_routes_error() -> None:
    from routes._assets import AssetError
    from routes.briefs import BriefError
    from routes.maps import MapError

    for error in (errors.CaseDataError, errors.PlaceNotFoundError, errors.GazetteerError, errors.NetworkError,
                  errors.PolicyError, errors.DisclosureError, AssetError, MapError, BriefError):
        assert issubclass(error, errors.RoutesError)


def test_no_module_imports_another_modules_private_names() -> None:
    """Modules share code through public names (private modules such as ``routes._tables`` hold an
    internal API under public names); ``from routes.x import _y`` or ``x._y`` across modules is a
    coupling the owner of ``x`` cannot see."""
    import ast
    from pathlib import Path

    import routes

    root = Path(routes.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: set[str] = set()  # local names bound to a routes module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("routes"):
                for alias in node.names:
                    if (root / alias.name).with_suffix(".py").exists() or (root / alias.name).is_dir():
                        modules.add(alias.asname or alias.name)  # a module, private ones included
                    elif alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.name}:{node.lineno} from {node.module} import {alias.name}")
            elif isinstance(node, ast.Import):
                modules.update(a.asname or a.name for a in node.names if a.name.startswith("routes"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in modules and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    assert not found, found
