"""Bad input gives a SatviewError that names the file and says what is wrong; nothing crashes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from builders import tar_bytes

from satview.core import open_scene
from satview.errors import SatviewError


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    path.write_bytes(tar_bytes(members))
    return path


MTL_NO_BANDS = b"""GROUP = LANDSAT_METADATA_FILE
  GROUP = PRODUCT_CONTENTS
    LANDSAT_PRODUCT_ID = "LC08_L1TP_042034_20210612_20210622_02_T1"
    PROCESSING_LEVEL = "L1TP"
    COLLECTION_NUMBER = 02
    FILE_NAME_BAND_4 = "LC08_L1TP_042034_20210612_20210622_02_T1_B4.TIF"
  END_GROUP = PRODUCT_CONTENTS
  GROUP = IMAGE_ATTRIBUTES
    SPACECRAFT_ID = "LANDSAT_8"
    SENSOR_ID = "OLI_TIRS"
    WRS_PATH = 42
    WRS_ROW = 34
    DATE_ACQUIRED = 2021-06-12
    SUN_ELEVATION = 60.0
  END_GROUP = IMAGE_ATTRIBUTES
END_GROUP = LANDSAT_METADATA_FILE
END
"""


def _cases(tmp: Path) -> dict[str, tuple[Path, str]]:
    text = tmp / "notes.tif"
    text.write_text("this is not an image\n" * 10)
    corrupt = tmp / "corrupt.tif"
    corrupt.write_bytes(b"II*\x00" + os.urandom(300))
    empty = tmp / "empty.tif"
    empty.write_bytes(b"")
    no_mtl = _tar(tmp / "no_mtl.tar", {"LC08_X_B4.TIF": b"II*\x00" + b"\x00" * 100})
    truncated = _tar(tmp / "truncated.tar", {"A_MTL.txt": MTL_NO_BANDS, "A_B4.TIF": os.urandom(20000)})
    truncated.write_bytes(truncated.read_bytes()[:9000])
    mtl_only = tmp / "lonely" / "LC08_L1TP_042034_20210612_20210622_02_T1_MTL.txt"
    mtl_only.parent.mkdir()
    mtl_only.write_bytes(MTL_NO_BANDS)
    garbage_mtl = tmp / "garbage_MTL.txt"
    garbage_mtl.write_bytes(b"GROUP = L1_METADATA_FILE\n\x00\x01\x02 nonsense")
    return {
        "text named .tif": (text, "text file"),
        "corrupt TIFF": (corrupt, "raster"),
        "empty file": (empty, "empty"),
        "tar without MTL": (no_mtl, "MTL"),
        "truncated tar": (truncated, "truncated"),
        "MTL without bands": (mtl_only, "band"),
        "garbage MTL": (garbage_mtl, ""),
    }


@pytest.mark.parametrize(
    "case",
    ["text named .tif", "corrupt TIFF", "empty file", "tar without MTL", "truncated tar",
     "MTL without bands", "garbage MTL"],
)
def test_bad_input_names_the_file(tmp_path: Path, case: str) -> None:
    """Each kind of bad input raises a SatviewError whose message contains the file name."""
    path, words = _cases(tmp_path)[case]
    with pytest.raises(SatviewError) as err, open_scene(path) as scene:
        scene.read(out_shape=(4, 4))
    assert path.name in str(err.value) or str(path) in str(err.value)
    assert words.lower() in str(err.value).lower()


def test_no_file_appears_next_to_inputs(real_data: Path, tmp_path: Path) -> None:
    """Opening and reading real scenes in a writable folder writes nothing next to them.

    The shared sample folder is read-only, so the samples are copied to a writable place first:
    a GDAL side-car (.aux.xml, .gz.properties) would otherwise fail silently instead of showing.
    """
    import shutil

    work = tmp_path / "downloads"
    work.mkdir()
    for f in sorted((real_data / "landsat-tarballs").iterdir()):
        shutil.copy(f, work / f.name)
    for f in sorted((real_data / "geotiff").iterdir()):
        shutil.copy(f, work / f.name)
    scene_dir = real_data / "landsat-scenes/LC08_L2SP_098084_20210503_20210508_02_T1"
    shutil.copytree(scene_dir, work / scene_dir.name)
    before = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    for f in sorted(work.iterdir()):
        with open_scene(f) as s:
            s.read(out_shape=(4, 4))
            s.read(s.band_names[0], dn=True)
    after = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    assert after == before


def _geotiff_with_undecodable_crs(path: Path) -> Path:
    """A small GeoTIFF on a custom CRS whose citation GeoKey holds a byte that is not UTF-8
    (rasterio's ``read_crs`` raises ``UnicodeDecodeError`` on it)."""
    import warnings

    import numpy as np
    import rasterio
    from rasterio.crs import CRS
    from rasterio.transform import from_origin

    crs = CRS.from_proj4("+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +datum=WGS84 +units=m")
    with warnings.catch_warnings(), rasterio.Env(GDAL_PAM_ENABLED="NO"):
        warnings.simplefilter("ignore")
        with rasterio.open(path, "w", driver="GTiff", width=8, height=6, count=1, dtype="uint8", crs=crs,
                           transform=from_origin(0, 0, 25000, 25000)) as ds:
            ds.write(np.arange(48, dtype="uint8").reshape(1, 6, 8))
    raw = path.read_bytes()
    assert raw.count(b"unknown|GCS") == 1
    path.write_bytes(raw.replace(b"unknown|GCS", b"unkn\x80wn|GCS"))
    return path


def test_geotiff_with_undecodable_crs_opens_without_it(tmp_path: Path) -> None:
    """Non-UTF-8 bytes in the GeoTIFF keys: the raster opens on its pixel grid, with a warning."""
    path = _geotiff_with_undecodable_crs(tmp_path / "odd.tif")
    with open_scene(path) as scene:
        assert scene.crs is None
        assert any("georeferencing tags are damaged" in w for w in scene.info.warnings)
        assert scene.read(dn=True)[0, 5, 7] == 47


def test_landsat_band_with_undecodable_crs_is_a_categorised_error(tmp_path: Path) -> None:
    """A scene band cannot do without its grid: "truncated or corrupt", naming the archive and member."""
    from satview.errors import CORRUPT

    band = _geotiff_with_undecodable_crs(tmp_path / "band.tif").read_bytes()
    archive = _tar(tmp_path / "scene.tar", {"LC08_L1TP_042034_20210612_20210622_02_T1_MTL.txt": MTL_NO_BANDS,
                                             "LC08_L1TP_042034_20210612_20210622_02_T1_B4.TIF": band})
    with pytest.raises(SatviewError) as err, open_scene(archive):
        pass
    assert err.value.category == CORRUPT and err.value.path == str(archive)
    assert "member LC08_L1TP_042034_20210612_20210622_02_T1_B4.TIF: " in err.value.message
    assert "not text" in err.value.message


def test_a_bug_in_a_reader_is_not_called_a_damaged_file(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception no reader expects (a bug: here a TypeError on open, then on read) reaches the
    caller as itself, never as a "truncated or corrupt" SatviewError about a good file."""
    import h5py
    import numpy as np

    from satview.core.readers import hdf5

    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.zeros((4, 5), dtype="f4")

    def type_error(*_a: object, **_k: object) -> None:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'")

    with monkeypatch.context() as m:
        m.setattr(hdf5, "_open", type_error)
        with pytest.raises(TypeError, match="unsupported operand"), open_scene(path):
            pass
    with open_scene(path) as scene:
        monkeypatch.setattr(scene, "_read_band", type_error)
        with pytest.raises(TypeError, match="unsupported operand"):
            scene.read()


def test_a_batch_reports_a_bug_as_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's report line keeps a file's problem as satview words it and calls a bug an internal
    error with its log (never a damaged file); MemoryError is the input being too large."""
    from satview.core.batch.tasks import describe_error
    from satview.errors import SceneReadError

    monkeypatch.setenv("SATVIEW_LOG_DIR", str(tmp_path / "logs"))
    assert describe_error(SceneReadError("the TIFF is truncated", "a.tif")) == "the TIFF is truncated"
    assert describe_error(MemoryError()) == "not enough memory for this scene"
    log = tmp_path / "logs" / "internal-errors.log"
    expected = f"internal error: KeyError: 'band' (please report; details in {log})"
    assert describe_error(KeyError("band")) == expected
    assert "KeyError: 'band'" in log.read_text()


def test_go_to_a_lonlat_off_the_projection_is_an_argument_error(real_data: Path) -> None:
    """The app's go-to-lon/lat path (``pixel.locate``) on a point off the GOES disk raises an
    uncategorised OutsideProjectionError naming the file, not a NaN cast or a damaged-file error."""
    from satview.core.pixel import locate
    from satview.errors import OutsideProjectionError

    path = real_data / "geotiff/goes.tif"
    with open_scene(path) as scene:
        with pytest.raises(OutsideProjectionError) as err:
            locate(scene, lonlat=(60.0, 0.0))
        assert locate(scene, lonlat=(-75.0, 0.0)) == (271, 271)
    assert err.value.category is None and err.value.path == str(path)
    assert err.value.message == "lon 60, lat 0 is outside what the scene's projection covers"
