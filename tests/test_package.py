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
