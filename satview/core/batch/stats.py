"""One stretch for a whole batch: per-scene histograms of the quick-look reads, merged into pooled Levels.

Each scene's task returns, per drawn band, its valid-pixel count, min, max, sum, sum of squares
and a ``HIST_BINS`` histogram over its own [min, max]; no pixels leave the worker. The merge puts
every histogram onto one common grid over the global range (cumulative counts interpolated
linearly inside the source bins), so pooled percentiles are exact to within one source bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from satview.core.batch.options import QuicklookOptions
from satview.core.stretch import Levels, Stretch

HIST_BINS = 4096
_MERGED_BINS = 16384


@dataclass
class BandHistogram:
    """Valid-pixel statistics of one drawn band of one scene."""

    n: int
    vmin: float
    vmax: float
    total: float
    total_sq: float
    counts: np.ndarray  # HIST_BINS int64 over [vmin, vmax]


@dataclass
class StatsResult:
    """What :func:`satview.core.batch.tasks.stats_task` measured for one scene (``error`` set when it
    could not)."""

    path: str
    bands: tuple[str, ...] = ()
    histograms: list[BandHistogram] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def display_bands(scene: Any, options: QuicklookOptions) -> tuple[str, tuple[str, ...], dict[str, str]]:
    """(kind, band names read, index common-name map) a quick-look with ``options`` draws from ``scene``.

    Mirrors the quick-look's choice: index, single band, three bands, preset, or the default bands.
    """
    from satview.core.composite import default_bands, resolve_preset
    from satview.core.indices import index_bands

    info = scene.info
    if options.index:
        common = index_bands(info, options.index)
        return "index", tuple(dict.fromkeys(common.values())), common
    if options.band:
        return "band", (info.band(str(options.band)).name,), {}
    if options.bands:
        return "rgb", tuple(info.band(str(b)).name for b in options.bands), {}
    if options.preset:
        return "rgb", tuple(resolve_preset(info, options.preset)), {}
    names = tuple(default_bands(info))
    return ("rgb" if len(names) == 3 else "band"), names, {}


def display_data(scene: Any, options: QuicklookOptions) -> tuple[tuple[str, ...], np.ndarray]:
    """The values a quick-look stretches: (band names or the index name, float (band, row, col) array)."""
    from satview.core.indices import compute_index
    from satview.core.quicklook import quicklook_shape

    kind, names, common = display_bands(scene, options)
    shape = quicklook_shape(scene.info.grid, options.size)
    data = scene.read(list(names), out_shape=shape)
    if kind == "index":
        assert options.index is not None
        arrays = {cn: data[names.index(bn)] for cn, bn in common.items()}
        return (options.index.lower(),), compute_index(options.index, arrays)[np.newaxis]
    return names, np.asarray(data)


def band_histogram(values: np.ndarray) -> BandHistogram:
    """Statistics of one band's finite values."""
    v = values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()
    v = v.astype(np.float64, copy=False)
    if v.size == 0:
        return BandHistogram(0, math.inf, -math.inf, 0.0, 0.0, np.zeros(HIST_BINS, np.int64))
    vmin, vmax = float(v.min()), float(v.max())
    if vmax > vmin:
        counts, _ = np.histogram(v, bins=HIST_BINS, range=(vmin, vmax))
    else:
        counts = np.zeros(HIST_BINS, np.int64)
        counts[0] = v.size
    return BandHistogram(int(v.size), vmin, vmax, float(v.sum()), float(np.dot(v, v)),
                         counts.astype(np.int64))


def _merge(hists: list[BandHistogram]) -> tuple[np.ndarray, np.ndarray, BandHistogram]:
    """(common edges, cumulative counts at them, pooled moments) of several band histograms."""
    hists = [h for h in hists if h.n > 0]
    n = sum(h.n for h in hists)
    lo, hi = min(h.vmin for h in hists), max(h.vmax for h in hists)
    pooled = BandHistogram(n, lo, hi, sum(h.total for h in hists), sum(h.total_sq for h in hists),
                           np.zeros(0, np.int64))
    edges = np.linspace(lo, hi, _MERGED_BINS + 1) if hi > lo else np.array([lo, lo])
    cum = np.zeros(edges.size, np.float64)
    for h in hists:
        if h.vmax > h.vmin:
            src_edges = np.linspace(h.vmin, h.vmax, HIST_BINS + 1)
            src_cum = np.concatenate([[0.0], np.cumsum(h.counts, dtype=np.float64)])
            cum += np.interp(edges, src_edges, src_cum, left=0.0, right=float(h.n))
        else:  # all values equal: a step at that value
            cum += np.where(edges >= h.vmin, float(h.n), 0.0)
    return edges, cum, pooled


def _percentile(edges: np.ndarray, cum: np.ndarray, n: int, p: float) -> float:
    """Value below which ``p`` % of the ``n`` pooled values lie (linear inside a bin)."""
    target = p / 100.0 * n
    i = int(np.searchsorted(cum, target, side="left"))
    if i <= 0:
        return float(edges[0])
    if i >= cum.size:
        return float(edges[-1])
    c0, c1 = cum[i - 1], cum[i]
    frac = 0.0 if c1 <= c0 else (target - c0) / (c1 - c0)
    return float(edges[i - 1] + frac * (edges[i] - edges[i - 1]))


def _limits(hists: list[BandHistogram], stretch: Stretch) -> tuple[float, float, int]:
    if not any(h.n for h in hists):
        return 0.0, 0.0, 0
    edges, cum, pooled = _merge(hists)
    n = pooled.n
    if stretch.mode == "minmax":
        return pooled.vmin, pooled.vmax, n
    if stretch.mode == "stddev":
        mean = pooled.total / n
        std = math.sqrt(max(pooled.total_sq / n - mean * mean, 0.0))
        return max(pooled.vmin, mean - stretch.n_std * std), min(pooled.vmax, mean + stretch.n_std * std), n
    lo, hi = _percentile(edges, cum, n, stretch.low), _percentile(edges, cum, n, stretch.high)
    if hi <= lo:
        lo, hi = pooled.vmin, pooled.vmax
    return lo, hi, n


def pooled_levels(results: list[StatsResult], stretch: Stretch | None = None) -> Levels:
    """One set of Levels from the histograms of every scene in ``results`` (which draw the same bands).

    ``percentile``, ``minmax`` and ``stddev`` stretches pool; ``linked`` pools the bands too.
    """
    stretch = stretch or Stretch()
    good = [r for r in results if r.error is None and r.histograms]
    if not good:
        raise ValueError("no scene statistics to pool")
    nb = len(good[0].histograms)
    if stretch.mode == "none":
        return Levels((0.0,) * nb, (1.0,) * nb, stretch.gamma, "no stretch: natural range 0-1")
    if stretch.linked:
        lo, hi, n = _limits([h for r in good for h in r.histograms], stretch)
        los, his, ns = (lo,) * nb, (hi,) * nb, [n]
    else:
        lims = [_limits([r.histograms[b] for r in good], stretch) for b in range(nb)]
        los, his, ns = tuple(x[0] for x in lims), tuple(x[1] for x in lims), [x[2] for x in lims]
    what = {"percentile": f"percentile {stretch.low:g}-{stretch.high:g} %",
            "stddev": f"mean ± {stretch.n_std:g} std"}.get(stretch.mode, "min-max")
    source = f"pooled {what} of {max(ns):,} valid pixels from {len(good)} scenes"
    return Levels(tuple(map(float, los)), tuple(map(float, his)), float(stretch.gamma), source)
