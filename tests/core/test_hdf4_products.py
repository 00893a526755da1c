"""MODIS products in HDF4: each family's offset rule, documented physical ranges, and a grid's
datasets as the bands of one scene (composites and indices from MODIS bands)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyhdf.SD import SD, SDC
from rasterio.crs import CRS

from satview.cli import main as cli_main
from satview.core import modis, open_scene
from satview.core.composite import available_presets, default_bands, resolve_preset
from satview.core.indices import index_bands
from satview.core.pixel import query_pixel

GA = "hdf4/MOD09GA.A2008296.h14v17.006.2015181011753.hdf"
A1 = "hdf4/MOD09A1.A2017193.h18v04.006.2017202035302.hdf"

#: Physical ranges from the MOD09 user guide (valid DN range x scale), by dataset name.
DOCUMENTED = [
    (r"sur_refl_b0[1-7](_1)?$", (-0.01, 1.6)),  # surface reflectance
    (r"(sur_refl_[sv]zen|SensorZenith_1|SolarZenith_1)$", (0.0, 180.0)),  # degrees
    (r"(sur_refl_raz|SensorAzimuth_1|SolarAzimuth_1)$", (-180.0, 180.0)),  # degrees
    (r"Range_1$", (675_000.0, 1_638_375.0)),  # metres, pixel to sensor
    (r"obscov_500m_1$", (0.0, 1.0)),  # observation coverage (0-100 % as a fraction)
]


def _documented(name: str) -> tuple[float, float]:
    for pattern, rng in DOCUMENTED:
        if re.match(pattern, name):
            return rng
    raise AssertionError(f"no documented range for scaled dataset {name}")


@pytest.mark.parametrize(("rel", "dataset"), [(A1, None), (GA, None), (GA, "SensorZenith_1")])
def test_every_scaled_dataset_is_within_its_documented_range(real_data: Path, rel: str,
                                                             dataset: str | None) -> None:
    """Every dataset with a scale/offset gives values inside the product guide's physical range."""
    with open_scene(real_data / rel, dataset=dataset) as scene:
        scaled = [b for b in scene.info.bands if b.calibration.kind == "linear"]
        assert scaled
        data = scene.read([b.name for b in scaled], out_shape=(400, 400))
    for band, values in zip(scaled, data, strict=True):
        lo, hi = _documented(band.name)
        finite = values[np.isfinite(values)]
        assert finite.size, band.name
        low, high = float(finite.min()), float(finite.max())
        assert lo - 1e-6 <= low and high <= hi + 1e-6, (band.name, low, high)


# --- a MOD11 land surface temperature file (no real sample: written here with pyhdf) -------------

CORE_METADATA = """GROUP = INVENTORYMETADATA
  GROUP = COLLECTIONDESCRIPTIONCLASS
    OBJECT = SHORTNAME
      NUM_VAL = 1
      VALUE = "{short}"
    END_OBJECT = SHORTNAME
  END_GROUP = COLLECTIONDESCRIPTIONCLASS
END_GROUP = INVENTORYMETADATA
END
"""
#: (name, type, DN, scale, offset, valid range, fill, long name, units) as in MOD11A1 collection 6.1.
MOD11_SDS = [
    ("LST_Day_1km", SDC.UINT16, [[13213, 14500], [0, 7500]], 0.02, 0.0, (7500, 65535), 0,
     "Daily daytime 1km grid Land-surface Temperature", "K"),
    ("QC_Day", SDC.UINT8, [[0, 1], [2, 3]], None, None, None, None,
     "Quality control for daytime LST", "none"),
    ("Day_view_time", SDC.UINT8, [[105, 110], [255, 0]], 0.1, 0.0, (0, 240), 255,
     "Local time of day observation", "hrs"),
    ("Day_view_angl", SDC.UINT8, [[0, 65], [130, 255]], 1.0, -65.0, (0, 130), 255,
     "View zenith angle of day observation", "deg"),
    ("Emis_31", SDC.UINT8, [[1, 245], [255, 0]], 0.002, 0.49, (1, 255), 0, "Band 31 emissivity", "none"),
]


def write_mod11(path: Path, short: str | None = "MOD11A1") -> Path:
    """A 2 x 2 MOD11A1-like HDF4 file: the SDS attribute layout of the real product."""
    sd = SD(str(path), SDC.WRITE | SDC.CREATE)
    try:
        if short:
            sd.attr("CoreMetadata.0").set(SDC.CHAR, CORE_METADATA.format(short=short))
        for name, typ, dn, scale, offset, valid, fill, long_name, units in MOD11_SDS:
            sds = sd.create(name, typ, (2, 2))
            sds[:] = np.asarray(dn, dtype={SDC.UINT16: np.uint16, SDC.UINT8: np.uint8}[typ])
            sds.long_name = long_name
            sds.units = units
            if valid is not None:
                sds.attr("valid_range").set(typ, list(valid))
            if fill is not None:
                sds.attr("_FillValue").set(typ, fill)
            if scale is not None:
                sds.attr("scale_factor").set(SDC.FLOAT64, scale)
                sds.attr("scale_factor_err").set(SDC.FLOAT64, 0.0)
                sds.attr("add_offset").set(SDC.FLOAT64, offset)
                sds.attr("add_offset_err").set(SDC.FLOAT64, 0.0)
                sds.attr("calibrated_nt").set(SDC.INT32, typ)
            sds.endaccess()
    finally:
        sd.end()
    return path


@pytest.mark.parametrize("short", ["MOD11A1", None])
def test_mod11_view_angles_and_lst_follow_the_product_guide(tmp_path: Path, short: str | None) -> None:
    """MOD11 adds its offset: view angle = DN - 65 (-65..65), emissivity 0.002 DN + 0.49, LST 0.02 DN,
    whether the family comes from the ShortName or (without metadata) from the dataset names."""
    path = write_mod11(tmp_path / "MOD11A1.hdf", short)
    with open_scene(path) as scene:
        assert scene.info.dataset == "LST_Day_1km"
        assert scene.info.metadata["product"] == short
        angle = scene.read("Day_view_angl")[0]
        lst = scene.read("LST_Day_1km")[0]
        emis = scene.read("Emis_31")[0]
        hours = scene.read("Day_view_time")[0]
    np.testing.assert_array_equal(angle[:1], [[-65.0, 0.0]])
    assert angle[1, 0] == 65.0 and math.isnan(angle[1, 1])
    np.testing.assert_allclose(lst[0], [13213 * 0.02, 290.0], rtol=1e-6)
    assert math.isnan(lst[1, 0]) and lst[1, 1] == pytest.approx(150.0)
    np.testing.assert_allclose(emis[0], [0.492, 0.98], rtol=1e-6)
    np.testing.assert_allclose(hours[0], [10.5, 11.0], rtol=1e-6)


def test_queried_lst_pixel_is_exact_in_float64(tmp_path: Path) -> None:
    """A queried pixel's value is computed in float64: LST DN 13213 x 0.02 is 264.26, not 264.2599792."""
    with open_scene(write_mod11(tmp_path / "MOD11A1.hdf")) as scene:
        report = query_pixel(scene, 0, 0)
    values = {b.name: b.value for b in report.bands}
    assert values["LST_Day_1km"] == 264.26 and repr(values["LST_Day_1km"]) == "264.26"
    assert values["Day_view_angl"] == -65.0 and values["Emis_31"] == 0.492
    assert values["Day_view_time"] == 10.5 and values["QC_Day"] == 0


def test_pixel_cli_prints_the_shortest_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pixel --json` and the text both give 264.26 (and -65 for the view angle), not float32 digits."""
    path = write_mod11(tmp_path / "MOD11A1.hdf")
    assert cli_main(["pixel", str(path), "--rowcol", "0", "0", "--json"]) == 0
    out = capsys.readouterr().out
    bands = {b["name"]: b["value"] for b in json.loads(out)["bands"]}
    assert '"value": 264.26,' in out and bands["Day_view_angl"] == -65.0
    assert cli_main(["pixel", str(path), "--rowcol", "0", "0"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"LST_Day_1km\s+DN\s+13213\s+264\.26 K", text), text
    assert re.search(r"Day_view_angl\s+DN\s+0\s+-65 deg", text), text


def test_offset_rule_by_product_family() -> None:
    """LST&E families add the offset; other MODIS families (and unknown files) use the HDF4 rule."""
    for short in ("MOD11A1", "MYD11A2", "MOD21A1D", "VNP21A1N"):
        assert modis.adds_offset(short, [])
    for short in ("MOD09GA", "MOD13Q1", "MOD10A1", "MCD43A4", "MOD06_L2", "MOD15A2H"):
        assert not modis.adds_offset(short, ["Emis_31"])
    assert modis.adds_offset(None, ["QC_Day", "Day_view_angl"])
    assert not modis.adds_offset(None, ["sur_refl_b01"])


def test_short_name_from_core_metadata_or_file_name(tmp_path: Path) -> None:
    """The short name comes from CoreMetadata (split over .0/.1), else from the granule's file name."""
    text = CORE_METADATA.format(short="MOD13Q1")
    assert modis.short_name({"CoreMetadata.0": text[:40], "CoreMetadata.1": text[40:]}, "x.hdf") == "MOD13Q1"
    assert modis.short_name({}, "/d/MYD11A2.A2020001.h18v04.061.2020010.hdf") == "MYD11A2"
    assert modis.short_name({}, "/d/scene.hdf") is None


def test_modis_land_band_by_dataset_name() -> None:
    """MOD09, MCD43A4 and MOD13 name their band datasets differently; other products get no band."""
    assert modis.land_band("MOD09GA", "sur_refl_b04_1") == 4
    assert modis.land_band(None, "sur_refl_b07") == 7
    assert modis.land_band("MCD43A4", "Nadir_Reflectance_Band6") == 6
    assert modis.land_band("MOD13Q1", "250m 16 days NIR reflectance") == 2
    assert modis.land_band("MOD13A2", "x", "1 km 16 days MIR reflectance") == 7
    assert modis.land_band("MOD11A1", "LST_Day_1km") is None
    assert modis.land_band("ECO2LSTE", "sur_refl_b01") is None and modis.land_band(None, "band_1") is None


# --- a grid's datasets are one scene's bands ----------------------------------------------------


@pytest.mark.parametrize(("rel", "suffix"), [(A1, ""), (GA, "_1")])
def test_modis_bands_give_presets_and_indices(real_data: Path, rel: str, suffix: str) -> None:
    """The 500 m grid's reflectance datasets are bands with MODIS common names: true colour is
    b01/b04/b03, false colour (SWIR) b07/b02/b01, NDVI b02/b01, NDSI b04/b06."""
    with open_scene(real_data / rel) as scene:
        info = scene.info
        b = {n: f"sur_refl_b0{n}{suffix}" for n in range(1, 8)}
        assert resolve_preset(info, "natural-color") == (b[1], b[4], b[3])
        assert resolve_preset(info, "color-infrared") == (b[2], b[1], b[4])
        assert resolve_preset(info, "swir") == (b[7], b[2], b[1])
        presets = {p.key for p in available_presets(info)}
        assert presets >= {"natural", "color-infrared", "swir", "agriculture"}
        assert index_bands(info, "ndvi") == {"NIR": b[2], "Red": b[1]}
        assert index_bands(info, "ndsi") == {"Green": b[4], "SWIR 1": b[6]}
        assert default_bands(info) == (b[1],)  # opens on the chosen dataset, composites on request
        assert info.band(b[1]).wavelength == modis.LAND_BANDS[1][1]
        rgb = scene.read(list(resolve_preset(info, "natural")), out_shape=(64, 64))
    assert rgb.shape == (3, 64, 64) and np.isfinite(rgb).any()


def test_only_datasets_of_the_same_grid_are_bands(real_data: Path) -> None:
    """Opening a 1 km dataset of MOD09GA gives the 1 km grid's datasets, none of the 500 m grid."""
    with open_scene(real_data / GA, dataset="state_1km_1") as scene:
        names = scene.band_names
        assert names[0] == "state_1km_1" and scene.info.grid.width == 1200
        assert "SensorZenith_1" in names and not any(n.startswith("sur_refl_b") for n in names)
        assert not available_presets(scene.info)


def test_exports_default_to_the_chosen_dataset(real_data: Path, tmp_path: Path) -> None:
    """A clip or reprojection without named bands writes the dataset the file was opened on (not its
    grid's 13 datasets); named datasets of the grid are written as bands."""
    from shapely.geometry import box

    from satview.core.aoi import AOI
    from satview.core.clip import clip_scene
    from satview.core.reproject import reproject_scene

    aoi = AOI(box(9.9, 46.0, 10.0, 46.05), CRS.from_epsg(4326))
    with open_scene(real_data / A1, dataset="sur_refl_b02") as scene:
        one = clip_scene(scene, aoi, tmp_path / "one.tif")
        names = ["sur_refl_b01", "sur_refl_b04", "sur_refl_b03"]
        rgb = clip_scene(scene, aoi, tmp_path / "rgb.tif", bands=names)
        warped = reproject_scene(scene, tmp_path / "warped.tif", "EPSG:4326")
    assert one.bands == ("sur_refl_b02",) and rgb.bands == tuple(names) and warped.count == 1
    with rasterio.open(tmp_path / "rgb.tif") as ds:
        assert ds.count == 3 and ds.dtypes == ("int16",) * 3
