"""Sea-ice semantics shared by the NSIDC binary and CDR netCDF scenes: colours, legend, extent and area."""

from __future__ import annotations

from typing import Any

import numpy as np

from satview.core.colormap import colormap
from satview.core.types import BandInfo
from satview.errors import SatviewError

#: Legend colours of the sea-ice flag categories (binary names and CDR ``flag_meanings`` names).
SEAICE_FLAG_COLORS: dict[str, tuple[int, int, int]] = {
    "pole_hole": (150, 150, 150),  # neutral grey: no data, but not land
    "unused": (40, 40, 40),
    "coast": (92, 72, 52),
    "coastal": (92, 72, 52),
    "land": (156, 132, 104),
    "land_mask": (156, 132, 104),
    "lakes": (46, 160, 150),  # teal, never on the blue-white ice ramp
    "missing": (214, 40, 160),  # magenta: visibly "no measurement"
    "missing_data": (214, 40, 160),
}
#: Colour of flag values whose name is not in ``SEAICE_FLAG_COLORS``.
UNKNOWN_FLAG_COLOR: tuple[int, int, int] = (255, 120, 0)

#: Colour map of 0-100 % concentration; its first colour (0 %) is open water, dark blue.
SEAICE_COLORMAP = "ice"

#: Sea-ice extent counts cells at or above this concentration (%), by convention.
EXTENT_THRESHOLD = 15.0


def open_water_color() -> tuple[int, int, int]:
    """The colour of 0 % concentration (open water): the first colour of the "ice" map."""
    lut = colormap(SEAICE_COLORMAP)
    return (int(lut[0, 0]), int(lut[0, 1]), int(lut[0, 2]))


def flag_color(name: str) -> tuple[int, int, int]:
    """Legend colour of flag ``name`` (case-insensitive; unknown names get ``UNKNOWN_FLAG_COLOR``)."""
    return SEAICE_FLAG_COLORS.get(name.strip().lower(), UNKNOWN_FLAG_COLOR)


def seaice_rgba(concentration_percent: np.ndarray, flags: np.ndarray | None,
                flag_names: dict[int, str]) -> np.ndarray:
    """Colour a sea-ice concentration image: returns (4, row, col) uint8 RGBA, band-first.

    ``concentration_percent`` is 0-100 % (NaN where not a measurement); ``flags`` are the raw
    values of the same cells (or None) and ``flag_names`` maps raw flag values to names. Cells
    whose raw value is a flag are drawn in the flag's legend colour, never as a concentration;
    0 % (open water) is dark blue, 100 % white ("ice" colour map). Other NaN cells are transparent.
    """
    conc = np.asarray(concentration_percent, dtype=np.float32)
    if conc.ndim != 2:
        raise SatviewError(f"seaice_rgba needs a 2-D concentration array, got shape {conc.shape}")
    lut = colormap(SEAICE_COLORMAP)
    valid = np.isfinite(conc)
    idx = np.zeros(conc.shape, dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        scaled = np.clip(np.where(valid, conc, 0.0) / 100.0, 0.0, 1.0) * 255.0
    idx[...] = np.rint(scaled).astype(np.uint8)
    rgba = np.zeros((4, *conc.shape), dtype=np.uint8)
    for i in range(3):
        rgba[i] = lut[:, i][idx]
    rgba[3] = np.where(valid, 255, 0).astype(np.uint8)
    water = valid & (conc <= 0.0)
    for i, v in enumerate(open_water_color()):
        rgba[i][water] = v
    if flags is not None and flag_names:
        raw = np.asarray(flags)
        if raw.shape != conc.shape:
            raise SatviewError(f"flags shape {raw.shape} differs from concentration shape {conc.shape}")
        for value, name in flag_names.items():
            hit = raw == value
            if not hit.any():
                continue
            color = flag_color(name)
            for i in range(3):
                rgba[i][hit] = color[i]
            rgba[3][hit] = 255
    return rgba


def band_flag_names(band: BandInfo) -> dict[int, str]:
    """The band's flags as ``{raw value: name}`` (for :func:`seaice_rgba`)."""
    return {int(v): name for v, name in band.flags}


def is_seaice_band(band: BandInfo) -> bool:
    """True for a concentration band with sea-ice flag codes (land, coast, pole hole, ...) among its DN."""
    return any(name.strip().lower() in SEAICE_FLAG_COLORS for _, name in band.flags)


def color_table(band: BandInfo) -> dict[int, tuple[int, int, int, int]]:
    """The colour table of a uint8 sea-ice band (``{DN: (r, g, b, a)}`` for 0-255): every DN in the
    colour :func:`seaice_rgba` draws it (flags in their legend colours, nodata and invalid DN
    transparent), so a GIS shows an exported grid as satview does."""
    dn = np.arange(256, dtype=np.uint8)[np.newaxis]
    conc = band.to_physical(dn)
    if band.unit.strip() == "1":  # fraction 0-1
        conc = conc * np.float32(100.0)
    rgba = seaice_rgba(conc, dn, band_flag_names(band))
    return {int(v): (int(rgba[0, 0, v]), int(rgba[1, 0, v]), int(rgba[2, 0, v]), int(rgba[3, 0, v]))
            for v in range(256)}


def legend_entries(band: BandInfo) -> list[tuple[str, tuple[int, int, int]]]:
    """Legend rows ``(label, (r, g, b))``: the concentration ramp, then one row per flag of ``band``."""
    lut = colormap(SEAICE_COLORMAP)
    unit = band.unit or "%"
    rows: list[tuple[str, tuple[int, int, int]]] = [(f"0 {unit} (open water)", open_water_color())]
    for pct in (15, 50, 85, 100):
        i = int(round(pct / 100.0 * 255))
        rows.append((f"{pct} {unit}", (int(lut[i, 0]), int(lut[i, 1]), int(lut[i, 2]))))
    for value, name in band.flags:
        rows.append((f"{name.replace('_', ' ')} ({value})", flag_color(name)))
    return rows


def extent_and_area(conc_percent: np.ndarray, cell_area_km2: np.ndarray,
                    threshold: float = EXTENT_THRESHOLD) -> tuple[float, float]:
    """(extent, area) in km^2 of a concentration field on cells of known true area.

    Extent is the total area of the cells at or above ``threshold`` %; area is the sum over those
    cells of cell area x concentration / 100 (concentrations above 100 count as 100). NaN cells
    (flags, nodata) and cells of unknown area are excluded.
    """
    conc = np.asarray(conc_percent, dtype=np.float64)
    cell = np.asarray(cell_area_km2, dtype=np.float64)
    if conc.shape != cell.shape:
        raise SatviewError(f"concentration shape {conc.shape} differs from cell-area shape {cell.shape}")
    with np.errstate(invalid="ignore"):
        ice = np.isfinite(conc) & np.isfinite(cell) & (conc >= threshold)
    extent = float(cell[ice].sum())
    area = float((cell[ice] * np.minimum(conc[ice], 100.0) / 100.0).sum())
    return extent, area


def concentration_band(info: Any) -> BandInfo:
    """The concentration band of a ``SceneInfo``: by quantity, then by name, else its only band."""
    bands = list(info.bands)
    for b in bands:
        if "concentration" in (b.calibration.quantity or "").lower():
            return b
    for b in bands:
        if "conc" in b.name.lower() and "stdev" not in b.name.lower():
            return b
    if len(bands) == 1:
        return bands[0]
    raise SatviewError("the scene has no sea-ice concentration band", info.path)


def scene_extent_and_area(scene: Any, threshold: float = EXTENT_THRESHOLD,
                          band: str | None = None) -> dict[str, Any]:
    """Sea-ice extent and area of a scene on a NSIDC polar stereographic grid (or any projected grid).

    Reads the concentration band (``band`` or found by :func:`concentration_band`) at full
    resolution, in %, and sums true cell areas from :func:`satview.core.polar_grids.cell_areas_km2`.
    Returns ``extent_km2``, ``area_km2``, ``threshold``, ``band``, ``grid`` (the NSIDC preset name or
    None), ``ice_cells`` and ``flag_cells`` (count per flag name).
    """
    from satview.core.polar_grids import cell_areas_km2, nsidc_grid_of  # lazy: +~55 ms on quicklook

    info = scene.info
    b = info.band(band) if band is not None else concentration_band(info)
    if (b.unit or "%").strip() not in ("%", "percent", "1"):
        raise SatviewError(f"band {b.name} is in {b.unit!r}, not a concentration in %", info.path)
    dn = scene.read([b.name], dn=True)[0]
    conc = b.to_physical(dn).astype(np.float64)
    if b.unit.strip() == "1":  # fraction 0-1
        conc = conc * 100.0
    preset = nsidc_grid_of(info.grid)
    areas = cell_areas_km2(preset if preset is not None else info.grid)
    extent, area = extent_and_area(conc, areas, threshold)
    with np.errstate(invalid="ignore"):
        ice_cells = int((np.isfinite(conc) & (conc >= threshold)).sum())
    flag_cells = {name: int((dn == v).sum()) for v, name in b.flags}
    return {
        "extent_km2": extent,
        "area_km2": area,
        "threshold": float(threshold),
        "band": b.name,
        "grid": preset.name if preset is not None else None,
        "ice_cells": ice_cells,
        "flag_cells": flag_cells,
    }
