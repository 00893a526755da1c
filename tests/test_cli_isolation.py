"""Isolation: risky readers run in a child process (CLI) or a worker with a deadline and a memory cap (GUI).

A crash (stand-in: ``os.abort()`` in the HDF5 reader of the child) gives exit 1 and "the reader crashed";
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

from satview.cli import isolate, main
from satview.core import service as svc
from satview.errors import (
    CORRUPT,
    CRASHED,
    TIMED_OUT,
    TOO_LARGE,
    ReaderCrashedError,
    ReaderTimeoutError,
    TooLargeError,
)

H5 = "hdf5-netcdf/testpyM15.h5"


# -- child functions (run in the isolated child: they must live in an importable module) ----------


def _abort(*_a: object, **_k: object) -> None:
    os.abort()  # like a double free in a C library


def _hang(*_a: object, **_k: object) -> None:
    while True:  # like h5py looping on a damaged attribute
        time.sleep(1)


def _type_error(*_a: object, **_k: object) -> None:
    raise TypeError('can only concatenate str (not "bytes") to str')


def _unicode_error(*_a: object, **_k: object) -> None:
    raise UnicodeDecodeError("utf-8", b"\x80", 0, 1, "invalid start byte")


def patched_child(target: str, replacement: Callable[..., None], *args: object) -> None:
    """The normal child, with ``target`` ("module.attribute") replaced by ``replacement`` first."""
    module, attr = target.rsplit(".", 1)
    setattr(importlib.import_module(module), attr, replacement)
    isolate.child_main(*args)  # type: ignore[arg-type]


#: The HDF5 reader aborts / loops forever / trips over the file with a plain TypeError.
crashing_child = functools.partial(patched_child, "satview.core.readers.hdf5.open_hdf5", _abort)
hanging_child = functools.partial(patched_child, "satview.core.readers.hdf5.open_hdf5", _hang)
raising_child = functools.partial(patched_child, "satview.core.readers.hdf5._open", _type_error)
#: Describing the (open) scene fails with a UnicodeDecodeError; reading a pixel never returns.
raising_after_open_child = functools.partial(patched_child, "satview.core.describe.scene_dict",
                                             _unicode_error)
hanging_after_open_child = functools.partial(patched_child, "satview.core.pixel.query_pixel", _hang)


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


def test_crash_in_the_reader_gives_exit_1(real_data: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """os.abort() in the child's reader: satview survives, exit 1, "the reader crashed" naming the file."""
    monkeypatch.setattr(isolate, "CHILD_MAIN", crashing_child)
    path = real_data / H5
    assert main(["info", str(path), "--json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"satview: error: {path}: the reader crashed on {path.name}")
    assert "SIGABRT" in err and f'"category": "{CRASHED}"' in err


@pytest.mark.parametrize(("child", "doing"), [(hanging_child, "opening it"),
                                               (hanging_after_open_child, "reading a pixel")])
def test_hang_in_the_reader_times_out(real_data: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], child, doing: str) -> None:
    """A reader that never returns is killed after its deadline: exit 1, "timed out". The whole
    command has one, not only the open: a hang in reading the open scene times out too."""
    monkeypatch.setattr(isolate, "CHILD_MAIN", child)
    monkeypatch.setenv("SATVIEW_DEADLINE_SCALE", "0.03")  # 30 s -> ~1 s
    path = real_data / H5
    t0 = time.monotonic()
    assert main(["pixel", str(path), "--rowcol", "1", "1", "--json"]) == 1
    assert time.monotonic() - t0 < 30
    err = capsys.readouterr().err
    assert err.startswith(f"satview: error: {path}: the reader timed out on {path.name} while {doing}")
    assert f'"category": "{TIMED_OUT}"' in err


@pytest.mark.parametrize(("child", "exc_type"), [(raising_child, "TypeError"),
                                                  (raising_after_open_child, "UnicodeDecodeError")])
def test_python_exception_in_the_child_is_an_internal_error_not_a_crash(
        real_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], child,
        exc_type: str) -> None:
    """A plain exception in the child (a bug, not a crash and not a damaged file) gives exit 3 and
    "internal error ... (please report; details in LOG)", like an in-process run; the traceback goes to
    the log, not to stderr."""
    import json

    monkeypatch.setattr(isolate, "CHILD_MAIN", child)
    path = real_data / H5
    assert main(["info", str(path), "--json"]) == 3
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"satview: internal error: {exc_type}: "), err
    assert "(please report; details in " in lines[0]
    assert "Traceback" not in err and "crashed" not in err and "damaged" not in err
    doc = json.loads(lines[1])["error"]
    assert doc["internal"] is True and doc["category"] is None and doc["path"] == str(path)
    assert "Traceback (most recent call last)" in Path(doc["log"]).read_text()


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


# -- GUI reader service: deadlines, memory cap, crashes -----------------------------------------


@pytest.fixture(scope="module")
def service():
    s = svc.ReaderService("isolation-test")
    yield s
    s.shutdown()


def test_service_deadline_kills_and_replaces_the_worker(service: svc.ReaderService, real_data: Path) -> None:
    """A request past its deadline fails with "timed out" naming the file; a new worker serves the next."""
    path = str(real_data / H5)
    before = service.submit(svc.svc_pid).result(60)
    t0 = time.monotonic()
    with pytest.raises(ReaderTimeoutError) as err:
        service.submit(svc.svc_hang_for_tests, path, deadline=0.5).result(60)
    assert time.monotonic() - t0 < 20
    assert err.value.category == TIMED_OUT and err.value.path == path
    assert "timed out on testpyM15.h5" in str(err.value)
    after = service.submit(svc.svc_pid).result(60)
    assert after != before and service.timeouts >= 1
    info = service.submit(svc.svc_open, path).result(60)[0]
    assert info.format == "hdf5"


def test_deadline_scales_with_file_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opens get 30 s + 10 s per GB; SATVIEW_DEADLINE_SCALE scales them and 0 turns them off."""
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(2_000_000_000)  # sparse
    assert svc.deadline_for(svc.svc_open, str(big)) == pytest.approx(50.0)
    assert svc.deadline_for(svc.svc_pid, None) is None
    monkeypatch.setenv("SATVIEW_DEADLINE_SCALE", "2")
    assert svc.deadline_for(svc.svc_open, str(big)) == pytest.approx(100.0)
    monkeypatch.setenv("SATVIEW_DEADLINE_SCALE", "0")
    assert svc.deadline_for(svc.svc_open, str(big)) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is Linux-only here")
def test_worker_memory_cap_gives_too_large(service: svc.ReaderService, real_data: Path) -> None:
    """An allocation beyond the worker's cap fails inside the worker as "too large"; the worker lives on."""
    cap = service.memory
    assert cap is not None and cap <= 8 << 30
    pid = service.submit(svc.svc_pid).result(60)
    with pytest.raises(TooLargeError) as err:
        service.submit(svc.svc_allocate_for_tests, str(real_data / H5), cap + (1 << 30)).result(60)
    assert err.value.category == TOO_LARGE
    assert service.submit(svc.svc_allocate_for_tests, "x", 64 << 20).result(60) == pid  # numpy still works
    info, *_ = service.submit(svc.svc_open, str(real_data / "geotiff" / "RGB.byte.tif")).result(60)
    assert info.format == "geotiff"  # and GDAL too


def test_service_crash_is_categorised(service: svc.ReaderService, real_data: Path) -> None:
    """A dying worker gives ReaderCrashedError ("reader crashed") naming the file."""
    path = str(real_data / H5)
    with pytest.raises(ReaderCrashedError) as err:
        service.submit(svc.svc_crash_for_tests, path).result(60)
    assert err.value.category == CRASHED and "the reader crashed on testpyM15.h5" in str(err.value)
    assert service.submit(svc.svc_open, path).result(60)[0].format == "hdf5"
