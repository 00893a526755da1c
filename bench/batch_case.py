"""The batch case of the benchmark: ``satview batch quicklook`` with 1 and 2 workers and on Dask.

Run by ``bench/run.py`` (``--only batch``); its rows are part of the main table.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness import Row, Series, alternate, fmt_s

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
