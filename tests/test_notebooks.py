"""The tutorial notebooks run top to bottom, and are committed without outputs.

Each notebook under ``notebooks/`` is executed with nbclient in a fresh kernel whose working directory is
the repository root: notebooks read ``data/sample/...`` by relative path and write only into temporary
directories they create. The kernel must be this interpreter (the project's virtualenv), not whatever
``python3`` a user-level kernelspec happens to name, so a session fixture puts a kernelspec ``python3``
whose command is ``sys.executable`` first on ``JUPYTER_PATH`` for this module's tests.

Outputs are stripped in git (they would hold rendered maps and counts, and make every diff noisy): the
second test checks that no code cell of a committed notebook carries outputs or an execution count.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def this_interpreter_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Name of a kernelspec that starts ``sys.executable -m ipykernel_launcher``, found before any other."""
    jupyter_dir = tmp_path_factory.mktemp("jupyter")
    spec_dir = jupyter_dir / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (routes test interpreter)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(jupyter_dir))
        yield "python3"


def test_there_are_four_tutorials() -> None:
    assert [path.name for path in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_route_network.ipynb",
        "03_modus_operandi_patterns.ipynb",
        "04_publishing.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells, f"{path.name} has no code cell"
    with_outputs = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and cell.outputs]
    counted = [i for i, cell in enumerate(notebook.cells)
               if cell.cell_type == "code" and cell.execution_count is not None]
    assert with_outputs == [], f"{path.name}: cells {with_outputs} carry outputs"
    assert counted == [], f"{path.name}: cells {counted} carry an execution count"
    assert notebook.metadata["kernelspec"]["name"] == "python3"


# Each claim a notebook's prose makes about its own outputs, as code run after its last cell (in its kernel).
CLAIMS = {
    "03_modus_operandi_patterns": """
table = pd.DataFrame(comparison).set_index("method")
ari, stable, clusters = table["adjusted Rand index"], table["stable (≥ 0.75)"], table["clusters"]
# "Here the latent classes recover the planted patterns best and every class is stable"
assert ari.idxmax() == "latent_class" and stable["latent_class"] == clusters["latent_class"], table
assert mo.method == "latent_class" and ari["latent_class"] >= 0.8  # the default, sections 1 and 3
# "k-means by silhouette recovers less and leaves several of its clusters unstable"
assert ari["onehot_kmeans"] < ari["latent_class"] and clusters["onehot_kmeans"] - stable["onehot_kmeans"] >= 2
# "average linkage splits off small groups, some unstable"
assert clusters["agglomerative"] > clusters["latent_class"]
assert stable["agglomerative"] < clusters["agglomerative"]
# "HDBSCAN fragments the patterns into many small groups, several of them unstable"
assert clusters["hdbscan"] >= 2 * clusters["latent_class"] and clusters["hdbscan"] - stable["hdbscan"] >= 2
# section 5: "the smuggling pattern in the Darién, armed recruitment in Catatumbo" among the top four
top = spots.head(4)
centre = top.geometry.centroid
first = top["top_patterns"].str.split(":").str[0]
darien = centre.x.between(-78.5, -76.5) & centre.y.between(7.5, 9.5)
catatumbo = centre.x.between(-73.6, -72.0) & centre.y.between(8.0, 9.3)
assert (darien & first.str.contains("smuggling")).any(), top
assert (catatumbo & first.str.contains("recruitment by an armed group")).any(), top
# section 6: hexagons are classed hot at three levels, and most are not significant
counts = hexes["hotspot"].value_counts()
assert {"hot_99", "hot_95", "hot_90"} <= set(counts.index) and counts.idxmax() == "not_significant"
""",
}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, this_interpreter_kernel: str) -> None:
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    if path.stem in CLAIMS:  # what the prose says, checked against what the notebook computed
        notebook.cells.append(nbformat.v4.new_code_cell(CLAIMS[path.stem]))
    # One more cell, in memory only: which Python ran the notebook.
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable, end='')"))
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name=this_interpreter_kernel,
                            resources={"metadata": {"path": str(REPO_ROOT)}})
    client.execute()  # raises CellExecutionError naming the failing cell, with its traceback

    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors == []
    assert notebook.cells[-1].outputs[0]["text"] == sys.executable
