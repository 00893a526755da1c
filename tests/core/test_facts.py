"""Scene facts for the Files panel: name facts, cloud cover from the MTL, damaged files as errors."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

from satview.core.facts import facts_from_name, scene_facts
from satview.core.landsat.metadata import landsat_info
from satview.core.mtl import parse_mtl
from satview.errors import SatviewError

TARBALL = "landsat-tarballs/LC09_L1TP_112081_20220209_20220209_02_T1.tar"
MTL = "landsat-mtl/LC08_L1TP_193024_20180824_20200831_02_T1_MTL.txt"


def test_cloud_cover_comes_from_the_mtl(real_data: Path) -> None:
    """A plain tarball and an MTL file give the MTL's cloud cover and the name's facts."""
    tar, mtl = scene_facts([str(real_data / TARBALL), str(real_data / MTL)])
    assert (tar.sensor, tar.acquired, tar.path_row, tar.level) == ("OLI/TIRS", dt.date(2022, 2, 9), (112, 81),
                                                                   "L1TP T1")
    assert tar.cloud_cover == 0.12 and tar.error is None
    assert mtl.cloud_cover == landsat_info(parse_mtl(real_data / MTL)).cloud_cover
    assert tar.summary() == "OLI/TIRS · 2022-02-09 · 112/081 · L1TP T1 · cloud 0 %"


def test_a_damaged_tarball_is_an_error_naming_it(tmp_path: Path) -> None:
    """A failed download saved under a product name (an HTML page) gives its error, not an exception;
    the facts (error included) survive pickling across the process boundary."""
    bad = tmp_path / "LC08_L1TP_090084_20160121_20170405_01_T1.tar"
    bad.write_text("<html><body>Please log in</body></html>")
    (facts,) = pickle.loads(pickle.dumps(scene_facts([str(bad)])))
    assert isinstance(facts.error, SatviewError) and facts.error.category and str(bad) in str(facts.error)
    assert facts.cloud_cover is None and facts.summary().endswith("metadata unreadable")


def test_other_files_are_not_read(tmp_path: Path) -> None:
    """Compressed tarballs are not unpacked for the cloud cover; non-Landsat names have no facts."""
    gz = tmp_path / "LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz"
    gz.write_bytes(b"not even gzip")
    other = tmp_path / "nt_20171002_f17_v1.1_n.bin"
    other.write_bytes(b"")
    got = scene_facts([str(gz), str(other)])
    assert got[0] == facts_from_name(gz) and got[0].error is None and got[0].sensor == "TM"
    assert not got[1].is_scene and got[1].summary() == ""
