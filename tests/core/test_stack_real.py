"""Time and change on real Landsat samples: bands matched by meaning across sensors, dates aligned."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from satview.core.readers import open_scene
from satview.core.stack.change import write_change
from satview.core.stack.quantity import Quantity, qa_band, unusable


@pytest.mark.parametrize(("member", "nir"), [
    ("landsat-tarballs/LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz", "B4"),
    ("landsat-scenes/LC08_L1TP_090084_20160121_20170405_01_T1", "B5"),
    ("landsat-scenes/LE07_L2SP_090084_20210331_20210426_02_T1", "SR_B4"),
])
def test_nir_is_matched_by_meaning(real_data: Path, member: str, nir: str) -> None:
    """TM band 4, OLI band 5 and ETM+ SR band 4 are all the NIR input of NBR."""
    with open_scene(real_data / member) as scene:
        assert Quantity("index", "nbr").inputs(scene.info)["NIR"] == nir


def test_real_change_across_sensors_and_collections(real_data: Path, tmp_path: Path) -> None:
    """OLI C1 Level-1 BEFORE and ETM+ C2 Level-2 AFTER of path/row 090/084 meet on the BEFORE grid,
    and every cloudy or fill pixel of the BEFORE scene is masked."""
    before = real_data / "landsat-scenes" / "LC08_L1TP_090084_20160121_20170405_01_T1"
    after = real_data / "landsat-scenes" / "LE07_L2SP_090084_20210331_20210426_02_T1"
    out = tmp_path / "nir.tif"
    res = write_change(str(before), str(after), Quantity("band", "NIR"), out)
    with open_scene(before) as scene:
        grid = scene.info.grid
        qa = qa_band(scene.info)
        assert qa is not None
        fill, cloudy = unusable(qa.qa or "", scene.read([qa.name], dn=True)[0], True)
    assert res.grid.crs == grid.crs and res.grid.res == pytest.approx(grid.res)
    assert res.pixels_compared + res.pixels_masked == res.grid.width * res.grid.height
    col, row = ~grid.transform * (res.grid.transform.c, res.grid.transform.f)
    r0, c0 = round(row), round(col)
    blocked = (fill | cloudy)[r0:r0 + res.grid.height, c0:c0 + res.grid.width]
    with rasterio.open(out) as ds:
        data = ds.read(1)
        assert ds.crs == grid.crs
    assert np.isnan(data[blocked]).all()
