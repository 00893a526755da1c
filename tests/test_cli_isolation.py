"""CLI isolation: commands on risky readers run in a worker process of the one worker layer.

A crash (stand-in: ``os.abort()`` in the HDF5 reader of the worker) gives exit 1 and "the reader crashed";
a hang gives "timed out"; a FIFO named ``.tif`` never blocks; Landsat and GeoTIFF stay in-process.
"""

from __future__ import annotations

import functools
import importlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from satview.cli import build_parser, isolate, main, run_command
from satview.errors import CORRUPT, CRASHED, TIMED_OUT

H5 = "hdf5-netcdf/testpyM15.h5"


# -- command runners (run in the worker: they must live in an importable module) -----------------


def _abort(*_a: object, **_k: object) -> None:
    os.abort()  # like a double free in a C library


def _hang(*_a: object, **_k: object) -> None:
    while True:  # like h5py looping on a damaged attribute
        time.sleep(1)


def _type_error(*_a: object, **_k: object) -> None:
    raise TypeError('can only concatenate str (not "bytes") to str')


def _unicode_error(*_a: object, **_k: object) -> None:
    raise UnicodeDecodeError("utf-8", b"\x80", 0, 1, "invalid start byte")


def patched_runner(target: str, replacement: Callable[..., None], args: object) -> int:
    """The normal command runner, with ``target`` ("module.attribute") replaced by ``replacement`` first."""
    module, attr = target.rsplit(".", 1)
    setattr(importlib.import_module(module), attr, replacement)
    return run_command(args)  # type: ignore[arg-type]


#: The HDF5 reader aborts / loops forever / trips over the file with a plain TypeError.
crashing_child = functools.partial(patched_runner, "satview.core.readers.hdf5.open_hdf5", _abort)
hanging_child = functools.partial(patched_runner, "satview.core.readers.hdf5.open_hdf5", _hang)
raising_child = functools.partial(patched_runner, "satview.core.readers.hdf5._open", _type_error)
#: Describing the (open) scene fails with a UnicodeDecodeError; reading a pixel never returns.
raising_after_open_child = functools.partial(patched_runner, "satview.core.describe.scene_dict",
                                             _unicode_error)
hanging_after_open_child = functools.partial(patched_runner, "satview.core.pixel.query_pixel", _hang)


def isolated(argv: list[str], runner: Callable[..., int]) -> int:
    """``satview ARGV`` as ``main`` runs it on a risky file, with ``runner`` in the worker."""
    args = build_parser(argv[0]).parse_args(argv)
    assert isolate.needs_isolation(args)
    return run_command(args, functools.partial(isolate.run_isolated, runner=runner))


def _sv(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "satview", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ})


# -- CLI -------------------------------------------------------------------------------------------


def test_risky_formats_run_isolated_and_fast_path_stays(real_data: Path, tmp_path: Path) -> None:
    """HDF/netCDF commands go to a child; Landsat tars and GeoTIFFs run in-process."""
    import argparse

    def ns(path: Path) -> argparse.Namespace:
        return argparse.Namespace(command="info", path=str(path))

    assert isolate.needs_isolation(ns(real_data / H5))
    assert isolate.needs_isolation(ns(real_data / "hdf4" / "MOD09A1.A2017193.h18v04.006.2017202035302.hdf"))
    assert not isolate.needs_isolation(ns(real_data / "geotiff" / "RGB.byte.tif"))
    assert not isolate.needs_isolation(ns(real_data / "landsat-tarballs"
                                          / "LC09_L1TP_112081_20220209_20220209_02_T1.tar"))


def test_isolated_command_output_is_forwarded(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An isolated command prints exactly what it would print in-process."""
    import json

    assert main(["info", str(real_data / H5), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "hdf5"


def test_crash_in_the_reader_gives_exit_1(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """os.abort() in the child's reader: satview survives, exit 1, "the reader crashed" naming the file."""
    path = real_data / H5
    assert isolated(["info", str(path), "--json"], crashing_child) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"satview: error: {path}: the reader crashed on {path.name}")
    assert "SIGABRT" in err and f'"category": "{CRASHED}"' in err


@pytest.mark.parametrize("child", [hanging_child, hanging_after_open_child])
def test_hang_in_the_reader_times_out(real_data: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], child) -> None:
    """A reader that never returns is killed after its deadline: exit 1, "timed out". The whole
    command has one, not only the open: a hang in reading the open scene times out too."""
    monkeypatch.setenv("SATVIEW_DEADLINE_SCALE", "0.02")  # 60 s -> ~1 s
    path = real_data / H5
    assert isolated(["pixel", str(path), "--rowcol", "1", "1", "--json"], child) == 1
    err = capsys.readouterr().err
    expected = f"satview: error: {path}: the reader timed out on {path.name} while reading a pixel"
    assert err.startswith(expected)
    assert f'"category": "{TIMED_OUT}"' in err


@pytest.mark.parametrize(("child", "exc_type"), [(raising_child, "TypeError"),
                                                  (raising_after_open_child, "UnicodeDecodeError")])
def test_python_exception_in_the_worker_is_an_internal_error_as_in_process(
        real_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], child,
        exc_type: str) -> None:
    """A plain exception in the worker (a bug, not a crash and not a damaged file) is reported exactly
    as an in-process run reports it: exit 3, "internal error ... (please report; details in LOG)"."""
    path = real_data / H5
    argv = ["info", str(path), "--json"]
    assert isolated(argv, child) == 3
    isolated_err = capsys.readouterr().err
    first = isolated_err.splitlines()[0]
    assert first.startswith(f"satview: internal error: {exc_type}: ")
    assert "(please report; details in " in first
    assert "Traceback" not in isolated_err and "crashed" not in isolated_err and "damaged" not in isolated_err
    monkeypatch.setenv("SATVIEW_CLI_INPROCESS", "1")
    target, replacement = child.args
    module, attr = target.rsplit(".", 1)
    monkeypatch.setattr(importlib.import_module(module), attr, replacement)
    assert main(argv) == 3
    assert capsys.readouterr().err == isolated_err


def test_fifo_named_tif_does_not_hang_the_cli(tmp_path: Path) -> None:
    """``satview info`` on a FIFO named .tif exits 1 at once with "not a regular file"."""
    fifo = tmp_path / "scene.tif"
    os.mkfifo(fifo)
    r = _sv("info", str(fifo), timeout=60)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(f"satview: error: {fifo}: this is a named pipe (FIFO)")


def test_failed_command_prints_only_the_error_line(tmp_path: Path) -> None:
    """GDAL/rasterio warnings (NotGeoreferencedWarning on a plain TIFF) never precede the error:
    stderr of a failed command is the error line, plus the JSON line with --json."""
    import json
    import warnings

    import numpy as np
    import rasterio

    path = tmp_path / "plain.tif"
    with warnings.catch_warnings(), rasterio.Env(GDAL_PAM_ENABLED="NO"):
        warnings.simplefilter("ignore")
        with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1, dtype="uint16") as ds:
            ds.write(np.arange(4096, dtype="uint16").reshape(1, 64, 64))
    path.write_bytes(path.read_bytes()[:3000])  # the pixels are cut off, the header is whole
    r = _sv("pixel", str(path), "--rowcol", "63", "63", "--json")
    lines = r.stderr.splitlines()
    assert r.returncode == 1 and r.stdout == ""
    assert len(lines) == 2 and lines[0].startswith(f"satview: error: {path}: "), r.stderr
    assert json.loads(lines[1])["error"]["category"] == CORRUPT
    ok = _sv("info", str(path))
    assert ok.returncode == 0 and ok.stderr == "", ok.stderr  # success: no rasterio noise either


def test_subprocess_cli_on_hdf(real_data: Path) -> None:
    """The real command line on an HDF4 file (isolated) works end to end."""
    path = real_data / "hdf4" / "MOD09A1.A2017193.h18v04.006.2017202035302.hdf"
    r = _sv("info", str(path))
    assert r.returncode == 0 and "hdf4" in r.stdout, r.stderr
