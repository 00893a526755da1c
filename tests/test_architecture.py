"""The core and the CLI stay Qt-free: importing them loads neither PySide6 nor pyqtgraph."""

from __future__ import annotations

import subprocess
import sys


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
