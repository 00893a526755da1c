"""satview benchmark: full-size synthetic scenes, fresh processes, A/B alternation, docs/PERFORMANCE.md.

    python bench/run.py [--reps N] [--only CASE,...] [--no-write]

Scenes come from the project's own generator (``satview demo --full``) and are cached in
``~/.cache/satview/demo``. Every case runs satview and its floor or peer alternately
(A B A B ...) in fresh processes; medians, min-max and peak RSS are reported with the ratio.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Series, alternate, cpu_and_memory, py, run_once

ROOT = Path(__file__).resolve().parents[1]
SATVIEW = [sys.executable, "-m", "satview"]


@dataclass
class Row:
    """One line of the results table."""

    case: str
    satview: str
    reference: str
    ratio: str
    target: str
    met: bool | None
    rss: str = ""


def fmt_s(series: Series, key: str | None = None) -> str:
    lo, hi = series.spread(key)
    return f"{series.median(key):.3f} s ({lo:.3f}-{hi:.3f})"


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


def _levels(tar: Path) -> list[tuple[float, float]]:
    code = (
        "import json,sys;from satview.core import open_scene;"
        "from satview.core.quicklook import quicklook_array;"
        "s=open_scene(sys.argv[1]);_,lv,_=quicklook_array(s,size=1024,dn=True);"
        "print(json.dumps(list(zip(lv.lo,lv.hi))))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tar)], capture_output=True, text=True, check=True)
    return [tuple(x) for x in json.loads(out.stdout.strip().splitlines()[-1])]


def _vrt(tar: Path, bands: list[str], out: Path) -> Path:
    stem = tar.name[:-4]
    srcs = [f"/vsitar/{tar}/{stem}_{b}.TIF" for b in bands]
    subprocess.run(["gdalbuildvrt", "-q", "-separate", str(out), *srcs], check=True)
    return out


def case_quicklook(ctx: dict, reps: int) -> list[Row]:
    tar, work = ctx["tar"], ctx["work"]
    levels = _levels(tar)
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


#: A season of downloads: 24 scenes, one every 16 days. A quick-look of a full-size scene (7791 x 7921) reads
#: its 1948 x 1981 overview, one of a 2000 x 2000 scene the full resolution: the same work per scene (0.20 s
#: of CPU either way), with a fifteenth of the pixels to generate (about 5 s and 50 MB a scene, once).
BATCH_SCENES = 24
BATCH_SIZE = (2000, 2000)


def _batch_folder() -> Path:
    """BATCH_SCENES demo scenes of BATCH_SIZE, different seeds and dates (generated once into the cache)."""
    import datetime as dt

    from satview.core.cache import user_cache_dir
    from satview.core.demo import make_demo_scene

    folder = user_cache_dir("bench-batch") / f"{BATCH_SCENES}x{BATCH_SIZE[1]}x{BATCH_SIZE[0]}"
    first = dt.date(2021, 3, 1)
    for i in range(BATCH_SCENES):
        make_demo_scene(folder, size=BATCH_SIZE, seed=i + 1, acquired=first + dt.timedelta(days=16 * i))
    return folder


#: Runs the CLI in-process and prints, as JSON, its own "in X s" (discovery, workers, tasks, summaries)
#: and "R scenes/s while the workers ran" (scenes over the span from the first task's start to the last
#: one's end: the throughput without the fixed costs, which a bigger batch spreads thinner).
_BATCH_CLI = (
    "import contextlib,io,json,re,sys;from satview.cli import main;buf=io.StringIO();"
    "ctx=contextlib.redirect_stdout(buf);ctx.__enter__();rc=main(sys.argv[1:]);ctx.__exit__(None,None,None);"
    "t=buf.getvalue();m=re.search(r' in ([0-9.]+) s [(]',t);r=re.search(r'([0-9.]+) scenes/s while',t);"
    "f=lambda x:float(x.group(1)) if x else float('nan');"
    "print(t[-300:]);print(json.dumps({'batch':f(m),'rate':f(r)}));sys.exit(rc)"
)


def _span(series: Series, key: str) -> str:
    lo, hi = series.spread(key)
    return f"{lo:.1f}-{hi:.1f}"


def case_batch(ctx: dict, reps: int) -> list[Row]:
    folder, work = _batch_folder(), ctx["work"]

    def cmd(out: str, *extra: str) -> list[str]:
        return [sys.executable, "-c", _BATCH_CLI, "batch", "quicklook", str(folder), "-o", str(work / out),
                "--force", *extra]

    s = alternate(
        {
            "one": cmd("batch-w1", "--workers", "1"),
            "two": cmd("batch-w2", "--workers", "2"),
            "dask": cmd("batch-dask", "--scheduler", "local", "--workers", "2"),
        },
        reps,
        tree_rss=True,  # also samples the CPU time of the workers
    )
    n = BATCH_SCENES

    def ratio(a: str, b: str, key: str | None) -> float:
        return s[a].median(key) / s[b].median(key)

    def rate(series: Series) -> str:
        # CPU per second of the whole process: how many of the cores the run kept busy (a single
        # worker already uses more than one: GDAL decodes, the stretch and the PNG encoder use threads)
        cores = series.median_cpu() / series.median()
        return (
            f"{fmt_s(series, 'batch')}, {n / series.median('batch'):.2f} scenes/s "
            f"(whole process {series.median():.2f} s, {series.median_cpu():.1f} CPU-s "
            f"= {cores:.2f} cores busy); {series.median('rate'):.1f} scenes/s while the workers ran"
        )

    speedup, speedup_wall = ratio("one", "two", "batch"), ratio("one", "two", None)
    steady = s["two"].median("rate") / s["one"].median("rate")
    dask, dask_wall = ratio("dask", "two", "batch"), ratio("dask", "two", None)
    size = f"{BATCH_SIZE[1]} x {BATCH_SIZE[0]}"
    return [
        Row(
            f"`satview batch quicklook`, {n} scenes {size}, --workers 2 vs 1 (batch time: workers start, "
            "tasks, contact sheet)",
            rate(s["two"]),
            "--workers 1: " + rate(s["one"]),
            f"{speedup:.2f}x throughput (whole process {speedup_wall:.2f}x)",
            "≥ 1.7x",
            speedup >= 1.7,
        ),
        Row(
            f"`satview batch quicklook`, {n} scenes, --workers 2 vs 1: throughput while the workers ran "
            "(first task's start to last task's end)",
            f"{s['two'].median('rate'):.1f} scenes/s ({_span(s['two'], 'rate')})",
            f"--workers 1: {s['one'].median('rate'):.1f} scenes/s ({_span(s['one'], 'rate')})",
            f"{steady:.2f}x",
            "≥ 1.7x",
            steady >= 1.7,
        ),
        Row(
            f"`satview batch quicklook`, {n} scenes, Dask LocalCluster (--scheduler local --workers 2)",
            rate(s["dask"]),
            "local process pool, --workers 2: " + rate(s["two"]),
            f"{dask:.2f}x time (whole process {dask_wall:.2f}x)",
            "≤ 1.2x",
            dask <= 1.2,
        ),
    ]

def case_series(ctx: dict, reps: int) -> list[Row]:
    from satview.core.demo.season import make_seaice_season

    folder = make_seaice_season(ctx["work"], 365, fmt="nc")
    s = alternate(
        {
            "satview": [*SATVIEW, "series", str(folder), "--seaice", "--json"],
            "h5py": py("series_h5py.py", str(folder)),
        },
        reps,
    )
    ratio = s["satview"].median() / s["h5py"].median()
    sat = s["satview"].median()
    return [
        Row(
            "`satview series --seaice`, 365 daily NSIDC netCDF files",
            fmt_s(s["satview"]),
            "plain h5py loop, same extents: " + fmt_s(s["h5py"]),
            f"{ratio:.2f}x",
            "≤ 1.5x, ≤ 2 s",
            ratio <= 1.5 and sat <= 2.0,
            f"{s['satview'].peak_rss():.0f} MB",
        )
    ]


def case_change(ctx: dict, reps: int) -> list[Row]:
    import datetime as dt

    from satview.core.demo import make_demo_scene

    before, work = ctx["tar"], ctx["work"]
    after = make_demo_scene(full=True, acquired=dt.date(2021, 7, 14))
    s = alternate(
        {
            "satview": [*SATVIEW, "change", str(before), str(after), "--index", "ndvi", "-o",
                        str(work / "change.tif"), "--json"],
            "rasterio": py("change_rasterio.py", str(before), str(after), str(work / "change_rio.tif")),
        },
        max(2, reps // 2),
    )
    ratio = s["satview"].median() / s["rasterio"].median()
    rss = s["satview"].peak_rss()
    return [
        Row(
            "`satview change --index ndvi`, two full-size dates (QA-masked)",
            fmt_s(s["satview"]),
            "rasterio read + warp.reproject + numpy + write: " + fmt_s(s["rasterio"]),
            f"{ratio:.2f}x",
            "≤ 1.0x, ≤ 1.5 GB",
            ratio <= 1.0 and rss <= 1500,
            f"{rss:.0f} MB",
        )
    ]


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
    "series": case_series,
    "change": case_change,
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


def table(rows: list[Row]) -> str:
    lines = [
        "| case | satview (median, min-max) | floor / peer | ratio | target | met | peak RSS |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        met = "yes" if r.met else ("no" if r.met is not None else "-")
        lines.append(f"| {r.case} | {r.satview} | {r.reference} | {r.ratio} | {r.target} | {met} | {r.rss} |")
    return "\n".join(lines)


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
        ctx = {**scenes(Path(tmp)), "work": Path(tmp)}
        rows: list[Row] = []
        for name in chosen:
            print(f"bench: {name}", file=sys.stderr)
            rows += CASES[name](ctx, args.reps)
            print(table(rows[-1:]).splitlines()[-1])
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
            (ROOT / "bench" / "NOTES.md").read_text(encoding="utf-8"),
        ]
    )
    print(report)
    if not args.no_write and not args.only:
        (ROOT / "docs" / "PERFORMANCE.md").write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
