"""The command line: documented JSON keys, exit codes and error messages, on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from satview.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``satview`` as a user would, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "satview", *args], capture_output=True, text=True)


def test_info_json_landsat_keys(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`satview info --json` has the documented keys and Landsat facts."""
    path = real_data / "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar"
    assert main(["info", str(path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("path", "format", "width", "height", "crs", "epsg", "transform", "bounds", "bands"):
        assert key in d
    assert d["format"] == "landsat" and d["epsg"] == 32650
    assert len(d["transform"]) == 6 and len(d["bounds"]) == 4
    assert d["width"] == 60 and d["height"] == 60
    for b in d["bands"]:
        assert {"name", "description", "dtype", "nodata", "scale", "offset", "unit"} <= set(b)
    ls = d["landsat"]
    assert ls["product_id"] == "LC09_L1TP_112081_20220209_20220209_02_T1"
    assert ls["spacecraft"] == "LANDSAT_9" and ls["collection"] == 2 and ls["level"] == "L1TP"
    assert (ls["wrs_path"], ls["wrs_row"], ls["acquired"]) == (112, 81, "2022-02-09")
    assert isinstance(ls["cloud_cover"], float) and isinstance(ls["sun_elevation"], float)


def test_info_text(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The human summary names the product and lists bands with their units."""
    path = real_data / "landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1"
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "LC08_L2SP_098084_20210503_20210508_02_T1" in out
    assert "SR_B4" in out and "surface reflectance" in out


def test_pixel_json(real_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`satview pixel --json` reports the cell, its centre and every band's DN, value and QA."""
    path = real_data / "landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1"
    assert main(["pixel", str(path), "--rowcol", "30", "30", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["row"], d["col"]) == (30, 30)
    for key in ("x", "y", "lon", "lat", "bands"):
        assert key in d
    bands = {b["name"]: b for b in d["bands"]}
    sr = bands["SR_B4"]
    assert set(sr) >= {"name", "dn", "value", "unit", "flag", "qa"}
    if sr["dn"] != 0:
        assert sr["value"] == pytest.approx(sr["dn"] * 2.75e-05 - 0.2, abs=1e-6)
    qa = bands["QA_PIXEL"]["qa"]
    assert isinstance(qa, dict) and "cloud" in qa and "fill" in qa
    # the same cell found through its map coordinates and its lon/lat
    for opt, xy in (("--xy", (d["x"], d["y"])), ("--lonlat", (d["lon"], d["lat"]))):
        assert main(["pixel", str(path), opt, str(xy[0]), str(xy[1]), "--json"]) == 0
        again = json.loads(capsys.readouterr().out)
        assert (again["row"], again["col"]) == (30, 30)


def test_bad_input_exit_1_no_traceback(tmp_path: Path) -> None:
    """A bad file exits 1 with 'satview: error: <file>: <message>' and no traceback."""
    bad = tmp_path / "fake.tif"
    bad.write_text("not a tiff")
    r = run_cli("info", str(bad))
    assert r.returncode == 1
    assert r.stderr.startswith(f"satview: error: {bad}: ")
    assert "Traceback" not in r.stderr


def test_usage_error_exit_2() -> None:
    """Usage errors (missing arguments, unknown options) exit 2."""
    assert run_cli("info").returncode == 2
    assert run_cli("info", "x.tif", "--frobnicate").returncode == 2
    assert run_cli("pixel", "x.tif").returncode == 2


def test_gui_dispatch_rule() -> None:
    """No command means the desktop app; a command or -h/--version means the CLI."""
    from satview.cli import is_gui_invocation

    assert is_gui_invocation([]) and is_gui_invocation(["scene.tar"])
    assert is_gui_invocation(["scene.tar", "--screenshot", "out.png"])
    assert not is_gui_invocation(["info", "scene.tar"]) and not is_gui_invocation(["--help"])


def test_pixel_outside_scene(real_data: Path) -> None:
    """A point outside the grid is a clear error (exit 1), not a crash."""
    path = real_data / "geotiff/RGB.byte.tif"
    r = run_cli("pixel", str(path), "--rowcol", "5000", "5")
    assert r.returncode == 1 and "outside" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("cmd", ["info", "pixel", "quicklook", "clip", "reproject", "demo"])
def test_help_for_each_command(cmd: str) -> None:
    """Every command has --help."""
    r = run_cli(cmd, "--help")
    assert r.returncode == 0 and "usage: satview" in r.stdout


def test_parser_for_one_command_or_all() -> None:
    """``build_parser(cmd)`` knows only that command (so it imports only its module); the full
    parser (``satview --help``) lists every command."""
    from satview.cli import _COMMANDS, build_parser

    full = build_parser()
    assert full.parse_args(["quicklook", "s.tar", "-o", "q.png"]).command == "quicklook"
    one = build_parser("quicklook")
    args = one.parse_args(["quicklook", "s.tar", "-o", "q.png", "--dn"])
    assert args.dn and args.size == 1024 and args.func.__name__ == "run_quicklook"
    with pytest.raises(SystemExit):
        one.parse_args(["info", "s.tar"])
    help_text = run_cli("--help").stdout
    assert all(cmd in help_text for cmd in _COMMANDS)


def test_quicklook_writes_png_world_file_and_aux(real_data: Path, tmp_path: Path) -> None:
    """`satview quicklook` in a fresh process: PNG + .pgw + .aux.xml, without loading other commands."""
    path = real_data / "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar"
    out = tmp_path / "ql.png"
    code = ("import sys; from satview.cli import main; rc = main(sys.argv[1:]); "
            "print(sorted(m for m in sys.modules if m.startswith('satview.cli.'))); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, "quicklook", str(path), "-o", str(out), "--size", "32",
                        "--dn"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    loaded = r.stdout.strip().splitlines()[-1]
    assert "satview.cli.export" in loaded and "satview.cli.batch" not in loaded
    assert {p.name for p in tmp_path.iterdir()} == {"ql.png", "ql.pgw", "ql.png.aux.xml"}
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_lonlat_off_the_projection_is_an_argument_error(real_data: Path) -> None:
    """A lon/lat the scene's projection does not cover (off the GOES disk) is a bad argument that
    says so (exit 1), not a damaged file and not a crash."""
    path = real_data / "geotiff/goes.tif"
    r = run_cli("pixel", str(path), "--lonlat", "60", "0", "--json")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"satview: error: {path}: lon 60, lat 0 is outside what the scene's "
                               "projection covers")
    err = json.loads(r.stderr.splitlines()[1])["error"]
    assert err["error"] == "OutsideProjectionError" and err["category"] is None


def test_internal_error_exit_3_with_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A bug (an exception that is not a SatviewError) exits 3 with one 'internal error ... please
    report' line naming the log file, which holds the traceback; it never says the file is damaged."""
    import argparse

    from satview.cli import run_command

    monkeypatch.setenv("SATVIEW_LOG_DIR", str(tmp_path / "logs"))

    def buggy_command(args: argparse.Namespace) -> int:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'")

    args = argparse.Namespace(command="info", path=str(tmp_path / "scene.tif"), json=True, func=buggy_command)
    assert run_command(args) == 3
    lines = capsys.readouterr().err.splitlines()
    log = tmp_path / "logs" / "internal-errors.log"
    assert lines[0] == ("satview: internal error: TypeError: unsupported operand type(s) for +: 'int' and "
                        f"'NoneType' (please report; details in {log})")
    assert json.loads(lines[1])["error"] == {
        "error": "TypeError", "category": None, "path": args.path, "internal": True, "log": str(log),
        "message": "unsupported operand type(s) for +: 'int' and 'NoneType'"}
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "buggy_command" in text
    assert "damaged" not in " ".join(lines)
