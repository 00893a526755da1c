"""Sea-ice colours, legend, extent and area (on the real NSIDC-0051 binary and on synthetic fields)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from satview.core import open_scene
from satview.core.colormap import colormap
from satview.core.polar_grids import cell_areas_km2, nsidc_grid
from satview.core.readers.nsidc_header import NSIDC_BINARY_FLAGS
from satview.core.seaice import (
    SEAICE_FLAG_COLORS,
    band_flag_names,
    concentration_band,
    extent_and_area,
    legend_entries,
    open_water_color,
    scene_extent_and_area,
    seaice_rgba,
)
from satview.core.types import BandInfo, Calibration
from satview.errors import SatviewError

BAND = BandInfo(name="concentration", dtype="uint8",
                calibration=Calibration("linear", 0.4, 0.0, "%", quantity="sea-ice concentration"),
                flags=NSIDC_BINARY_FLAGS)
CDR_FLAGS = {251: "pole_hole", 252: "lakes", 253: "coastal", 254: "land_mask", 255: "missing"}


def test_flag_colours_cover_binary_and_cdr_names() -> None:
    for name in ("pole_hole", "unused", "coast", "land", "missing", "lakes", "coastal", "land_mask"):
        assert name in SEAICE_FLAG_COLORS
    ice = {tuple(int(v) for v in c) for c in colormap("ice")}
    for name, color in SEAICE_FLAG_COLORS.items():
        assert color not in ice, name  # a flag never looks like a concentration


def test_rgba_flags_water_and_ice() -> None:
    dn = np.array([[0, 125, 250], [251, 253, 254], [255, 252, 10]], dtype=np.uint8)
    conc = BAND.to_physical(dn)
    rgba = seaice_rgba(conc, dn, band_flag_names(BAND))
    assert rgba.shape == (4, 3, 3) and rgba.dtype == np.uint8
    assert tuple(rgba[:3, 0, 0]) == open_water_color()
    assert tuple(rgba[:3, 0, 2]) == (255, 255, 255)  # 100 %: white
    assert tuple(rgba[:3, 1, 0]) == SEAICE_FLAG_COLORS["pole_hole"]
    assert tuple(rgba[:3, 1, 1]) == SEAICE_FLAG_COLORS["coast"]
    assert tuple(rgba[:3, 1, 2]) == SEAICE_FLAG_COLORS["land"]
    assert tuple(rgba[:3, 2, 0]) == SEAICE_FLAG_COLORS["missing"]
    assert (rgba[3] == 255).all()
    lut = colormap("ice")
    assert tuple(rgba[:3, 0, 1]) == tuple(int(v) for v in lut[128])  # 50 %


def test_rgba_cdr_names_and_unflagged_nan() -> None:
    raw = np.array([[252, 253, 254, 0]], dtype=np.uint8)
    conc = np.array([[np.nan, np.nan, np.nan, np.nan]], dtype=np.float32)
    rgba = seaice_rgba(conc, raw, CDR_FLAGS)
    assert tuple(rgba[:3, 0, 0]) == SEAICE_FLAG_COLORS["lakes"]
    assert tuple(rgba[:3, 0, 2]) == SEAICE_FLAG_COLORS["land_mask"]
    assert rgba[3, 0, 3] == 0  # NaN without a flag: transparent
    no_flags = seaice_rgba(conc, None, {})
    assert (no_flags[3] == 0).all()
    with pytest.raises(SatviewError):
        seaice_rgba(conc, raw[:, :2], CDR_FLAGS)


def test_legend() -> None:
    rows = legend_entries(BAND)
    labels = [label for label, _ in rows]
    assert labels[0].startswith("0 %") and "open water" in labels[0]
    assert "100 %" in labels
    assert labels[-5:] == ["pole hole (251)", "unused (252)", "coast (253)", "land (254)", "missing (255)"]
    assert rows[-2][1] == SEAICE_FLAG_COLORS["land"]


def test_extent_and_area_rules() -> None:
    conc = np.array([[0.0, 14.9, 15.0, 50.0, 100.0000015, np.nan]])
    cells = np.array([[100.0, 100.0, 200.0, 400.0, 600.0, 1000.0]])
    extent, area = extent_and_area(conc, cells)
    assert extent == pytest.approx(200 + 400 + 600)
    assert area == pytest.approx(200 * 0.15 + 400 * 0.5 + 600 * 1.0)
    assert extent_and_area(conc, cells, threshold=0.0)[0] == pytest.approx(1400.0)
    with pytest.raises(SatviewError):
        extent_and_area(conc, cells[:, :3])


def test_concentration_band_choice() -> None:
    class Info:
        path = "x.nc"
        bands = (BandInfo(name="stdev_of_cdr_seaice_conc"), BandInfo(name="cdr_seaice_conc"))

    assert concentration_band(Info()).name == "cdr_seaice_conc"
    Info.bands = (BandInfo(name="a"), BandInfo(name="b"))
    with pytest.raises(SatviewError, match="concentration"):
        concentration_band(Info())


def test_real_arctic_extent_2017_10_02(real_data: Path) -> None:
    """NSIDC-0051 NASA Team, 2 Oct 2017: extent ~5.5 M km^2 (NSIDC Sea Ice Index: ~5.0-5.3 that week)."""
    path = real_data / "nsidc" / "nt_20171002_f17_v1.1_n.bin"
    with open_scene(path) as s:
        result = scene_extent_and_area(s)
        dn = s.read(dn=True)[0]
    assert result["grid"] == "nsidc-north-25km" and result["band"] == "concentration"
    assert 5.0e6 < result["extent_km2"] < 6.0e6, result
    assert 3.5e6 < result["area_km2"] < result["extent_km2"], result
    assert result["flag_cells"]["pole_hole"] == int((dn == 251).sum()) > 0
    # direct computation from the raw bytes gives the same numbers
    areas = cell_areas_km2(nsidc_grid("nsidc-north-25km"))
    pct = np.where(dn <= 250, dn / 2.5, np.nan)
    ice = pct >= 15
    assert result["extent_km2"] == pytest.approx(areas[ice].sum(), rel=1e-9)
    assert result["area_km2"] == pytest.approx((areas[ice] * pct[ice] / 100).sum(), rel=1e-6)
    # true cell areas matter: high-Arctic cells are larger than 625 km^2 (k < 1 north of 70 deg),
    # so counting nominal 25 km x 25 km cells would understate the extent by about 3 %
    assert ice.sum() * 625.0 < 0.98 * result["extent_km2"]
