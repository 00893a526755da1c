"""satview benchmark: full-size synthetic scenes, fresh processes, A/B alternation, docs/PERFORMANCE.md.

    python bench/run.py [--reps N] [--only CASE,...] [--no-write]

Scenes come from the project's own generator (``satview demo --full``) and are cached in
``~/.cache/satview/demo``. Every case runs satview and its floor or peer alternately
(A B A B ...) in fresh processes; medians, min-max and peak RSS are reported with the ratio.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_case import case_batch
from harness import Row, alternate, cpu_and_memory, fmt_s, py, quicklook_levels, run_once, table
from md_section import replace_section
from time_cases import CASES as TIME_CASES
from time_cases import case_memory, section

ROOT = Path(__file__).resolve().parents[1]
SATVIEW = [sys.executable, "-m", "satview"]


def scenes(tmp: Path) -> dict[str, Path]:
    """The full-size .tar and .tar.gz demo scenes (generated once, then reused)."""
    from satview.core.demo import make_demo_scene

    tar = make_demo_scene(full=True)
    tgz = make_demo_scene(full=True, fmt="tar.gz")
    return {"tar": tar, "tgz": tgz}


def case_info(ctx: dict, reps: int) -> list[Row]:
    tar, tgz = ctx["tar"], ctx["tgz"]
    bare = [sys.executable, "-c", "import numpy, rasterio"]
    s = alternate({"satview": [*SATVIEW, "info", str(tar)], "bare": bare}, reps)
    diff = s["satview"].median() - s["bare"].median()
    rows = [
        Row(
            "`satview info` full-size .tar",
            fmt_s(s["satview"]),
            "import numpy, rasterio: " + fmt_s(s["bare"]),
            f"+{diff:.3f} s",
            "≤ +0.25 s",
            diff <= 0.25,
            f"{s['satview'].peak_rss():.0f} MB",
        )
    ]
    cache = Path(tempfile.mkdtemp(prefix="satview-bench-cache-"))
    env = {"SATVIEW_CACHE_DIR": str(cache)}
    first = run_once([*SATVIEW, "info", str(tgz)], env)
    s2 = alternate({"tgz": [*SATVIEW, "info", str(tgz)], "tar": [*SATVIEW, "info", str(tar)]}, reps, env)
    ratio = s2["tgz"].median() / s2["tar"].median()
    rows.append(
        Row(
            f"`satview info` .tar.gz, cached (first open unpacks once: {first.seconds:.1f} s)",
            fmt_s(s2["tgz"]),
            ".tar: " + fmt_s(s2["tar"]),
            f"{ratio:.2f}x",
            "≈ 1.0x",
            ratio <= 1.1,
        )
    )
    shutil.rmtree(cache, ignore_errors=True)
    return rows


def case_composite(ctx: dict, reps: int) -> list[Row]:
    s = alternate(
        {
            "satview": py("composite_satview.py", str(ctx["tar"])),
            "floor": py("composite_floor.py", str(ctx["tar"])),
        },
        reps,
    )
    ratio = s["satview"].median("seconds") / s["floor"].median("seconds")
    return [
        Row(
            "first composite in-process (decimated read + stretch + RGBA; opening the scene before it "
            f"took {s['satview'].median('open'):.3f} s more)",
            fmt_s(s["satview"], "seconds"),
            "rasterio floor: " + fmt_s(s["floor"], "seconds"),
            f"{ratio:.2f}x",
            "≤ 1.5x",
            ratio <= 1.5,
        )
    ]


def case_viewport(ctx: dict, reps: int) -> list[Row]:
    s = alternate({"satview": py("viewport_satview.py", str(ctx["tar"]))}, reps)
    med = s["satview"].median("seconds")
    return [
        Row(
            "fresh full-resolution 1024 x 1024 viewport",
            fmt_s(s["satview"], "seconds"),
            "-",
            "-",
            "≤ 0.1 s",
            med <= 0.1,
        )
    ]


def case_stretch(ctx: dict, reps: int) -> list[Row]:
    s = alternate({"satview": py("stretch_satview.py", str(ctx["tar"]), "--full")}, max(2, reps // 2))
    dec, full = s["satview"].median("decimated"), s["satview"].median("full")
    return [
        Row("stretch, 3 bands decimated (1024 px)", f"{dec * 1000:.1f} ms", "-", "-", "≤ 40 ms", dec <= 0.04),
        Row("stretch, 3 bands full resolution", f"{full:.3f} s", "-", "-", "≤ 0.6 s", full <= 0.6),
    ]


def _vrt(tar: Path, bands: list[str], out: Path) -> Path:
    stem = tar.name[:-4]
    srcs = [f"/vsitar/{tar}/{stem}_{b}.TIF" for b in bands]
    subprocess.run(["gdalbuildvrt", "-q", "-separate", str(out), *srcs], check=True)
    return out


def case_quicklook(ctx: dict, reps: int) -> list[Row]:
    tar, work = ctx["tar"], ctx["work"]
    levels = quicklook_levels(tar)
    vrt = _vrt(tar, ["SR_B4", "SR_B3", "SR_B2"], work / "rgb.vrt")
    scale = []
    for i, (lo, hi) in enumerate(levels, 1):
        scale += [f"-scale_{i}", f"{lo:g}", f"{hi:g}", "0", "255"]
    s = alternate(
        {
            "satview": [
                *SATVIEW,
                "quicklook",
                str(tar),
                "-o",
                str(work / "ql.png"),
                "--size",
                "1024",
                "--dn",
            ],
            "gdal": [
                "gdal_translate",
                "-q",
                "-of",
                "PNG",
                "-outsize",
                "1024",
                "0",
                "-ot",
                "Byte",
                *scale,
                str(vrt),
                str(work / "gt.png"),
            ],
        },
        reps,
    )
    ratio = s["satview"].median() / s["gdal"].median()
    rss = s["satview"].peak_rss()
    return [
        Row(
            "`satview quicklook --size 1024` (whole process)",
            fmt_s(s["satview"]),
            "gdal_translate -outsize 1024 0, same scaling: " + fmt_s(s["gdal"]),
            f"{ratio:.2f}x",
            "≤ 1.2x, ≤ 300 MB",
            ratio <= 1.2 and rss <= 300,
            f"{rss:.0f} MB",
        )
    ]


def _half_polygon(tar: Path, out: Path) -> Path:
    code = (
        "import json,sys;from satview.core import open_scene;s=open_scene(sys.argv[1]);"
        "l,b,r,t=s.bounds;w,h=r-l,t-b;"
        "pts=[(l+.05*w,b+.1*h),(l+.7*w,b+.05*h),(l+.72*w,b+.6*h),(l+.45*w,b+.75*h),(l+.08*w,b+.62*h)];"
        "pts.append(pts[0]);"
        "print(json.dumps({'type':'FeatureCollection','crs':{'type':'name','properties':"
        "{'name':'urn:ogc:def:crs:EPSG::%d'%s.crs.to_epsg()}},'features':[{'type':'Feature','properties':{},"
        "'geometry':{'type':'Polygon','coordinates':[pts]}}]}))"
    )
    out.write_text(
        subprocess.run([sys.executable, "-c", code, str(tar)], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    return out


#: Creation options of the GDAL peers' GeoTIFFs, the same layout satview writes (tiled DEFLATE, predictor 2).
_GDAL_CO = ["-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2"]


def case_clip(ctx: dict, reps: int) -> list[Row]:
    tar, work = ctx["tar"], ctx["work"]
    bands = [f"SR_B{i}" for i in range(1, 8)]
    vrt = _vrt(tar, bands, work / "sr.vrt")
    poly = _half_polygon(tar, work / "half.geojson")
    s = alternate(
        {
            "satview": [
                *SATVIEW,
                "clip",
                str(tar),
                "--aoi",
                str(poly),
                "--bands",
                ",".join(bands),
                "-o",
                str(work / "clip.tif"),
            ],
            "gdal": [
                "gdalwarp",
                "-q",
                "-overwrite",
                "-cutline",
                str(poly),
                "-crop_to_cutline",
                *_GDAL_CO,
                str(vrt),
                str(work / "gw.tif"),
            ],
        },
        max(2, reps // 2),
    )
    ratio = s["satview"].median() / s["gdal"].median()
    rss = s["satview"].peak_rss()
    return [
        Row(
            "`satview clip`, half scene, 7 SR bands, irregular polygon",
            fmt_s(s["satview"]),
            "gdalwarp -cutline -crop_to_cutline on a VRT: " + fmt_s(s["gdal"]),
            f"{ratio:.2f}x",
            "≤ 1.0x, ≤ 1.2 GB",
            ratio <= 1.0 and rss <= 1200,
            f"{rss:.0f} MB",
        )
    ]


def case_reproject(ctx: dict, reps: int) -> list[Row]:
    tar, work = ctx["tar"], ctx["work"]
    bands = ["SR_B4", "SR_B3", "SR_B2"]
    vrt = _vrt(tar, bands, work / "rgb3.vrt")
    s = alternate(
        {
            "satview": [
                *SATVIEW,
                "reproject",
                str(tar),
                "--dst-crs",
                "EPSG:3338",
                "--bands",
                ",".join(bands),
                "-o",
                str(work / "rp.tif"),
            ],
            "gdal": [
                "gdalwarp",
                "-q",
                "-overwrite",
                "-multi",
                "-wo",
                "NUM_THREADS=ALL_CPUS",
                "-t_srs",
                "EPSG:3338",
                "-r",
                "near",
                *_GDAL_CO,
                str(vrt),
                str(work / "gwr.tif"),
            ],
        },
        max(2, reps // 2),
    )
    ratio = s["satview"].median() / s["gdal"].median()
    return [
        Row(
            "`satview reproject` full resolution, nearest, 3 bands",
            fmt_s(s["satview"]),
            "gdalwarp -multi -wo NUM_THREADS=ALL_CPUS: " + fmt_s(s["gdal"]),
            f"{ratio:.2f}x",
            "≤ 1.0x",
            ratio <= 1.0,
            f"{s['satview'].peak_rss():.0f} MB",
        )
    ]


def case_gui(ctx: dict, reps: int) -> list[Row]:
    tar, work = ctx["tar"], ctx["work"]
    env = {"QT_QPA_PLATFORM": "offscreen"}
    s = alternate(
        {
            "satview": [*SATVIEW, str(tar), "--screenshot", str(work / "shot.png")],
            "minimal": py("gui_minimal.py", str(tar), str(work / "min.png")),
        },
        reps,
        env,
        tree_rss=True,  # the app decodes in reader processes: count them with the window's process
    )
    ratio = s["satview"].median() / s["minimal"].median()
    rss = s["satview"].peak_rss()
    rows = [
        Row(
            "`satview SCENE.tar --screenshot` (whole process)",
            fmt_s(s["satview"]),
            "minimal PySide6 + pyqtgraph script: " + fmt_s(s["minimal"]),
            f"{ratio:.2f}x",
            "≤ 1.5x, ≤ 600 MB",
            ratio <= 1.5 and rss <= 600,
            f"{rss:.0f} MB (app + reader processes)",
        )
    ]
    g = alternate({"gui": py("gui_session.py", str(tar))}, max(2, reps // 2), env)
    gs = g["gui"]
    rows += [
        Row("GUI: open full-size scene to first picture", fmt_s(gs, "first_picture"), "-", "-", "-", None),
        Row(
            "GUI: app start to window shown",
            fmt_s(gs, "startup"),
            "-",
            "-",
            "≤ 1.5 s",
            gs.median("startup") <= 1.5,
        ),
        Row(
            "GUI: longest event-loop stall, open + zoom 5 levels + pan",
            f"{max(gs.values('stall_view_ms')):.0f} ms (median {gs.median('stall_view_ms'):.0f})",
            "-",
            "-",
            "≤ 50 ms",
            max(gs.values("stall_view_ms")) <= 50,
        ),
        Row(
            "GUI: longest event-loop stall during a clip export",
            f"{max(gs.values('stall_export_ms')):.0f} ms",
            "-",
            "-",
            "≤ 50 ms",
            max(gs.values("stall_export_ms")) <= 50,
        ),
    ]
    return rows


CASES: dict[str, Callable[[dict, int], list[Row]]] = {
    "info": case_info,
    "composite": case_composite,
    "viewport": case_viewport,
    "stretch": case_stretch,
    "quicklook": case_quicklook,
    "clip": case_clip,
    "reproject": case_reproject,
    "gui": case_gui,
    "batch": case_batch,
    **TIME_CASES,
}


def machine() -> str:
    """A short description of the machine the figures come from."""
    import rasterio

    cpu, mem = cpu_and_memory()
    gdal = subprocess.run(["gdalinfo", "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.platform()}, Python "
        f"{platform.python_version()}, rasterio {rasterio.__version__} (GDAL {rasterio.__gdal_version__}); "
        f"peer: {gdal}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5, help="recorded runs per command (default 5)")
    ap.add_argument("--only", help="comma-separated cases: " + ",".join(CASES))
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/PERFORMANCE.md alone")
    args = ap.parse_args(argv)
    if shutil.which("gdal_translate") is None:
        print("bench: gdal_translate not found: apt-get install gdal-bin", file=sys.stderr)
        return 2
    chosen = args.only.split(",") if args.only else list(CASES)
    # An installed satview runs from byte-compiled modules (pip compiles them); an editable checkout
    # under PYTHONDONTWRITEBYTECODE=1 would recompile ~50 modules in every fresh process instead,
    # while the peers' libraries are compiled. Compile once so both sides start alike.
    compileall.compile_dir(ROOT / "satview", quiet=1)
    with tempfile.TemporaryDirectory(prefix="satview-bench-") as tmp:
        ctx = {**scenes(Path(tmp)), "work": Path(tmp), "memory": {}}
        rows: list[Row] = []
        time_rows: list[Row] = []
        for name in chosen:
            print(f"bench: {name}", file=sys.stderr)
            got = CASES[name](ctx, args.reps)
            (time_rows if name in TIME_CASES else rows).extend(got)
            print(table(got).splitlines()[-1])
        time_rows += case_memory(ctx, args.reps)
    time_section = section(table(time_rows), args.reps) if time_rows else ""
    report = "\n".join(
        [
            "# satview performance",
            "",
            "Made by `bash packaging/bootstrap.sh bench` (`python bench/run.py`); do not edit by hand.",
            "",
            f"Machine: {machine()}.",
            "",
            f"Scenes: `satview demo --full` (7791 x 7921, 7 SR bands + ST_B10 + QA_PIXEL + QA_RADSAT, 512-px "
            f"DEFLATE COGs with 2/4/8/16 overviews) as `.tar` and `.tar.gz`. {args.reps} recorded runs "
            "per command after a warm-up round, satview and its floor/peer alternating, "
            "each in a fresh process.",
            "",
            table(rows),
            "",
            time_section,
            (ROOT / "bench" / "NOTES.md").read_text(encoding="utf-8"),
        ]
    )
    print(report)
    if not args.no_write and not args.only:
        (ROOT / "docs" / "PERFORMANCE.md").write_text(report)
    elif not args.no_write and set(TIME_CASES) <= set(chosen):  # only the time cases: their section alone
        replace_section(ROOT / "docs" / "PERFORMANCE.md", time_section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
