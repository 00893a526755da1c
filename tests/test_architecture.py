"""The layering rules of the code base, checked in every test run (so CI enforces them).

The import-linter contracts live in pyproject.toml (``[tool.importlinter]``; ``lint-imports`` runs
them by hand): core and cli never import Qt; Qt panels and dialogs never import readers or
file-format modules; no import cycles between sibling modules. A grimp graph adds what those
cannot say: no cycle between any two modules at all, a package and its own modules included.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from importlinter.api import read_configuration

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = [c["name"] for c in read_configuration(str(REPO / "pyproject.toml"))["contracts_options"]]


@cache
def _lint_imports() -> str:
    """The report of ``lint-imports`` on the whole package (run once per session, no cache left behind)."""
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    out = subprocess.run([sys.executable, "-c", code, "--no-cache"], capture_output=True, text=True,
                         cwd=REPO, timeout=300)
    return out.stdout + out.stderr


@pytest.mark.parametrize("name", CONTRACTS)
def test_import_contract(name: str) -> None:
    """Each import-linter contract of pyproject.toml is kept."""
    report = _lint_imports()
    kept = re.search(rf"^{re.escape(name)} KEPT", report, re.M) is not None
    assert kept, report[report.find("Broken contracts"):]


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in graph.modules), None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        comp.append(top)
                        if top == node:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_import_cycles() -> None:
    """No two satview modules import each other, directly or through others (function-level imports
    count too: a cycle is a cycle whenever it is taken)."""
    import grimp

    cycles = _cycles(grimp.build_graph("satview", cache_dir=None))
    assert cycles == [], f"import cycles: {cycles}"


def test_core_and_cli_import_no_qt() -> None:
    """A fresh interpreter importing satview.core, its modules and satview.cli loads no Qt."""
    code = (
        "import sys, pkgutil, importlib, satview.core, satview.cli\n"
        "for m in pkgutil.walk_packages(satview.core.__path__, 'satview.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "satview.cli.build_parser()\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt modules loaded by the core/CLI: {out.stdout}"


def test_gui_process_holds_stacks_without_loading_readers() -> None:
    """The modules the app's GUI process loads to open a stack, plot a series, compare dates and
    export an animation (and to unpickle what its workers send back) load no file-format library:
    the first stack opened would otherwise import h5py and the readers in the GUI thread."""
    code = (
        "import sys, pickle\n"
        "import satview.qt.main_window\n"
        "from satview.core.stack import model, change_view\n"
        "pickle.loads(pickle.dumps(model.StackDiscovery()))\n"
        "print(','.join(sorted(n for n in ('h5py', 'pyhdf', 'satview.core.readers.nsidc_quick',\n"
        "                                  'satview.core.stack.headers', 'satview.core.stack.change')\n"
        "                      if n in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "", f"loaded by the GUI process: {out.stdout}"


def test_seaice_series_loads_no_gdal_or_pool(tmp_path: Path) -> None:
    """A sea-ice series of NSIDC netCDF files (stack discovery included) loads neither rasterio/GDAL
    nor the batch pool (pebble): a year of daily files must cost about what reading them does."""
    from satview.core.demo.season import make_seaice_season

    folder = make_seaice_season(tmp_path, 3, fmt="nc")
    code = (
        "import sys\n"
        "from satview.core.stack.seaice_series import seaice_stack_series\n"
        f"stack, rows = seaice_stack_series([{str(folder)!r}])\n"
        "assert len(rows) == 3, rows\n"
        "print(','.join(sorted(n for n in ('rasterio', 'pebble', 'shapely') if n in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"loaded by a sea-ice series: {out.stdout}"
