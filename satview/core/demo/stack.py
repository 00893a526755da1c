"""A demo stack: N dated Landsat 8 Collection 2 Level-2 scenes of one place with planted, known changes.

For ``satview demo --stack N``, the time/change tests and the benchmarks. Every scene is a USGS-like
folder (``SR_B1`` .. ``SR_B7``, ``QA_PIXEL``, ``MTL.txt``) on one 30 m UTM zone 11 grid near the
zone 11/12 boundary (Lake Mead, WRS-2 039/035). What changes, exactly, in pixels of that grid:

- a **burn scar** (a rectangle) appears between date ``N // 2 - 1`` and date ``N // 2``: NBR drops
  from about 0.59 (forest) to about -0.35, a dNBR in the USGS "high severity" class;
- a **built-up patch** grows by ``GROWTH`` pixels per side at each date (forest to town: dNBR about
  0.49, "moderate-high severity", so it never counts as the burn);
- **snow** covers the mountain strip on dates from December to March (QA snow bit set);
- date 1 has a **cloud** and its **shadow** (QA cloud / cloud-shadow bits set).

``neighbour/`` holds the first post-fire date seen from the next WRS-2 path (038/035) in UTM zone
12: the same ground, another CRS, for alignment tests. ``truth.json`` lists every planted area.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.warp import reproject

from satview.core.demo.folder import building, write_truth
from satview.core.demo.mtl_writer import Group, Q, to_odl
from satview.core.reproject import target_grid
from satview.core.types import GeoGrid
from satview.errors import SatviewError

PIXEL = 30.0
EPSG, NEIGHBOUR_EPSG = 32611, 32612
CENTER_LON, CENTER_LAT = -114.3, 36.2
WRS_PATH, WRS_ROW, NEIGHBOUR_PATH = 39, 35, 38
FIRST_DATE = dt.date(2021, 1, 10)
STEP_DAYS = 32
GROWTH = 4  # pixels added per side of the built-up patch per date
SCALE, OFFSET = 2.75e-05, -0.2  # C2 Level-2 surface reflectance
#: Surface reflectance of SR_B1..SR_B7 per cover class.
SPECTRA = {
    "forest": (0.03, 0.04, 0.08, 0.05, 0.35, 0.18, 0.09),
    "burn": (0.04, 0.05, 0.07, 0.10, 0.12, 0.22, 0.25),
    "urban": (0.10, 0.12, 0.13, 0.15, 0.22, 0.25, 0.18),
    "water": (0.04, 0.05, 0.06, 0.04, 0.02, 0.01, 0.01),
    "snow": (0.80, 0.85, 0.85, 0.83, 0.78, 0.10, 0.06),
    "cloud": (0.70, 0.69, 0.70, 0.72, 0.75, 0.56, 0.40),
}
_LOW = (1 << 8) | (1 << 10) | (1 << 12) | (1 << 14)  # low confidence of cloud, shadow, snow, cirrus
#: C2 QA_PIXEL values: clear land / water; cloud, shadow and snow with their confidence high.
QA_CLEAR, QA_WATER = (1 << 6) | _LOW, (1 << 6) | (1 << 7) | _LOW
QA_CLOUD = (1 << 3) | (3 << 8) | (1 << 10) | (1 << 12) | (1 << 14)
QA_SHADOW = (1 << 4) | (1 << 8) | (3 << 10) | (1 << 12) | (1 << 14)
QA_SNOW = (1 << 5) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 14)


@dataclass(frozen=True)
class StackLayout:
    """Where the planted features lie, as (row0, row1, col0, col1) pixel boxes of a ``size`` grid."""

    size: int

    def box(self, f0: float, f1: float, g0: float, g1: float) -> tuple[int, int, int, int]:
        n = self.size
        return (round(f0 * n), round(f1 * n), round(g0 * n), round(g1 * n))

    @property
    def burn(self) -> tuple[int, int, int, int]:
        return self.box(0.25, 0.42, 0.15, 0.45)

    @property
    def mountain(self) -> tuple[int, int, int, int]:
        return self.box(0.0, 0.12, 0.0, 1.0)

    @property
    def lake(self) -> tuple[int, int, int, int]:
        return self.box(0.75, 0.92, 0.08, 0.3)

    @property
    def cloud(self) -> tuple[int, int, int, int]:
        return self.box(0.2, 0.32, 0.6, 0.82)

    @property
    def shadow(self) -> tuple[int, int, int, int]:
        r0, r1, c0, c1 = self.cloud
        return (r1, r1 + max(2, (r1 - r0) // 3), c0 + 4, c1 + 4)

    def urban(self, i: int) -> tuple[int, int, int, int]:
        r0, _, c0, _ = self.box(0.6, 0.6, 0.6, 0.6)
        side = min(max(4, self.size // 20) + 2 * GROWTH * i, int(0.3 * self.size))
        return (r0 - side // 2, r0 + (side + 1) // 2, c0 - side // 2, c0 + (side + 1) // 2)


def _fill(a: np.ndarray, box: tuple[int, int, int, int], value: Any) -> None:
    r0, r1, c0, c1 = box
    a[max(0, r0):max(0, r1), max(0, c0):max(0, c1)] = value


def _box_pixels(box: tuple[int, int, int, int], size: int) -> int:
    r0, r1, c0, c1 = box
    return max(0, min(r1, size) - max(r0, 0)) * max(0, min(c1, size) - max(c0, 0))


def stack_dates(n: int) -> list[dt.date]:
    """The acquisition dates of an ``n``-scene demo stack (every ``STEP_DAYS`` from ``FIRST_DATE``)."""
    return [FIRST_DATE + dt.timedelta(days=STEP_DAYS * i) for i in range(n)]


def _classes(layout: StackLayout, i: int, n: int, when: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """(cover class name per pixel, QA_PIXEL) of date ``i``."""
    size = layout.size
    cover = np.full((size, size), "forest", dtype=object)
    _fill(cover, layout.lake, "water")
    _fill(cover, layout.urban(i), "urban")
    if i >= n // 2:
        _fill(cover, layout.burn, "burn")
    qa = np.full((size, size), QA_CLEAR, dtype=np.uint16)
    qa[cover == "water"] = QA_WATER
    if when.month in (12, 1, 2, 3):
        _fill(cover, layout.mountain, "snow")
        _fill(qa, layout.mountain, QA_SNOW)
    if i == 1:
        _fill(cover, layout.cloud, "cloud")
        _fill(qa, layout.cloud, QA_CLOUD)
        _fill(qa, layout.shadow, QA_SHADOW)
    return cover, qa


def _reflectance(cover: np.ndarray, qa: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(7, rows, cols) uint16 SR DN of the cover classes, with +-2 % texture and darker shadow."""
    out = np.zeros((7, *cover.shape), dtype=np.float32)
    for name, spectrum in SPECTRA.items():
        hit = cover == name
        out[:, hit] = np.asarray(spectrum, dtype=np.float32)[:, np.newaxis]
    out *= rng.uniform(0.98, 1.02, out.shape).astype(np.float32)
    out[:, qa == QA_SHADOW] *= np.float32(0.4)
    dn = np.clip(np.rint((out - OFFSET) / SCALE), 1, 65535).astype(np.uint16)
    dn[:, cover == "fill"] = 0  # outside the footprint (the neighbour scene's corners)
    return dn


def _grid_transform(size: int) -> Affine:
    x, y = Transformer.from_crs(4326, EPSG, always_xy=True).transform(CENTER_LON, CENTER_LAT)
    left = round((x - size / 2 * PIXEL) / PIXEL) * PIXEL
    top = round((y + size / 2 * PIXEL) / PIXEL) * PIXEL
    return Affine(PIXEL, 0.0, left, 0.0, -PIXEL, top)


def product_id(when: dt.date, path: int = WRS_PATH) -> str:
    """The C2 L2SP product id of a demo stack scene acquired ``when``."""
    done = when + dt.timedelta(days=9)
    return f"LC08_L2SP_{path:03d}{WRS_ROW:03d}_{when:%Y%m%d}_{done:%Y%m%d}_02_T1"


def _mtl(pid: str, when: dt.date, path: int, zone: int, rows: int, cols: int, cloud: float) -> str:
    files = [(f"FILE_NAME_BAND_{b}", Q(f"{pid}_SR_B{b}.TIF")) for b in range(1, 8)]
    groups: list[Group] = [
        ("PRODUCT_CONTENTS", [("LANDSAT_PRODUCT_ID", Q(pid)), ("PROCESSING_LEVEL", Q("L2SP")),
                              ("COLLECTION_NUMBER", "02"), ("COLLECTION_CATEGORY", Q("T1")), *files,
                              ("FILE_NAME_QUALITY_L1_PIXEL", Q(f"{pid}_QA_PIXEL.TIF")),
                              ("FILE_NAME_METADATA_ODL", Q(f"{pid}_MTL.txt"))]),
        ("IMAGE_ATTRIBUTES", [("SPACECRAFT_ID", Q("LANDSAT_8")), ("SENSOR_ID", Q("OLI_TIRS")),
                              ("WRS_TYPE", "2"), ("WRS_PATH", str(path)), ("WRS_ROW", str(WRS_ROW)),
                              ("DATE_ACQUIRED", when.isoformat()),
                              ("SCENE_CENTER_TIME", Q("18:10:00.0000000Z")),
                              ("CLOUD_COVER", f"{cloud:.2f}"), ("CLOUD_COVER_LAND", f"{cloud:.2f}"),
                              ("SUN_AZIMUTH", "140.0"), ("SUN_ELEVATION", "45.0")]),
        ("PROJECTION_ATTRIBUTES", [("MAP_PROJECTION", Q("UTM")), ("DATUM", Q("WGS84")),
                                   ("ELLIPSOID", Q("WGS84")),
                                   ("UTM_ZONE", str(zone)), ("GRID_CELL_SIZE_REFLECTIVE", "30.00"),
                                   ("REFLECTIVE_LINES", str(rows)), ("REFLECTIVE_SAMPLES", str(cols)),
                                   ("ORIENTATION", Q("NORTH_UP"))]),
        ("LEVEL2_SURFACE_REFLECTANCE_PARAMETERS",
         [(f"REFLECTANCE_MULT_BAND_{b}", f"{SCALE:.4E}") for b in range(1, 8)]
         + [(f"REFLECTANCE_ADD_BAND_{b}", f"{OFFSET:.6f}") for b in range(1, 8)]),
    ]
    return to_odl(groups)


def _write_scene(folder: Path, pid: str, when: dt.date, path: int, crs: int, transform: Affine,
                 sr: np.ndarray, qa: np.ndarray) -> None:
    folder.mkdir(parents=True)
    rows, cols = qa.shape
    profile = {"driver": "GTiff", "width": cols, "height": rows, "count": 1, "dtype": "uint16",
               "crs": f"EPSG:{crs}", "transform": transform, "tiled": True, "compress": "deflate"}
    for b in range(7):
        with rasterio.open(folder / f"{pid}_SR_B{b + 1}.TIF", "w", nodata=0, **profile) as dst:
            dst.write(sr[b], 1)
    with rasterio.open(folder / f"{pid}_QA_PIXEL.TIF", "w", nodata=1, **profile) as dst:
        dst.write(qa, 1)
    cloud = 100.0 * float(np.isin(qa, (QA_CLOUD, QA_SHADOW)).mean())
    mtl = _mtl(pid, when, path, crs - 32600, rows, cols, cloud)
    (folder / f"{pid}_MTL.txt").write_text(mtl, encoding="utf-8")


def _neighbour(cover: np.ndarray, qa: np.ndarray, transform: Affine) -> tuple[np.ndarray, np.ndarray, Affine]:
    """The cover classes and QA of one date warped (nearest) onto a 30 m grid of UTM zone 12."""
    names = list(SPECTRA)
    codes = np.vectorize(names.index, otypes=[np.uint8])(cover)
    src = GeoGrid(_crs(EPSG), transform, cover.shape[1], cover.shape[0])
    dst = target_grid(src, _crs(NEIGHBOUR_EPSG), resolution=PIXEL)
    out_codes = np.full(dst.shape, 255, dtype=np.uint8)
    out_qa = np.full(dst.shape, 1, dtype=np.uint16)
    for data, out, nodata in ((codes, out_codes, 255), (qa, out_qa, 1)):
        reproject(data, out, src_transform=transform, src_crs=src.crs, dst_transform=dst.transform,
                  dst_crs=dst.crs, src_nodata=None, dst_nodata=nodata, init_dest_nodata=True)
    lookup = np.array([*names, "fill"], dtype=object)
    return lookup[np.minimum(out_codes, len(names))], out_qa, dst.transform


def _crs(epsg: int) -> Any:
    return CRS.from_epsg(epsg)


def make_demo_stack(dest_dir: str | os.PathLike[str], n: int, *, size: int = 240, seed: int = 0) -> Path:
    """Write an ``n``-date demo stack into ``dest_dir/satview-stack-<n>/`` and return that folder.

    It holds ``scenes/`` (the ``n`` dated scenes), ``neighbour/`` (one scene in UTM zone 12) and
    ``truth.json`` (dates, planted areas in pixels and km², grid). The folder appears complete or
    not at all; an existing one is replaced.
    """
    if not 2 <= n <= 120:
        raise SatviewError(f"a demo stack has 2 to 120 dates, not {n}")
    if not 64 <= size <= 8000:
        raise SatviewError(f"a demo stack scene is 64 to 8000 pixels across, not {size}")
    final = Path(dest_dir) / f"satview-stack-{n}"
    with building(final, "demo stack") as build:
        write_truth(build, _write_all(build, n, size, seed))
    return final


def _write_all(build: Path, n: int, size: int, seed: int) -> dict[str, Any]:
    layout = StackLayout(size)
    transform = _grid_transform(size)
    rng = np.random.default_rng(seed)
    pixel_km2 = PIXEL * PIXEL / 1e6
    dates = stack_dates(n)
    scenes = []
    for i, when in enumerate(dates):
        cover, qa = _classes(layout, i, n, when)
        pid = product_id(when)
        sr = _reflectance(cover, qa, rng)
        _write_scene(build / "scenes" / pid, pid, when, WRS_PATH, EPSG, transform, sr, qa)
        scenes.append({
            "path": f"scenes/{pid}", "date": when.isoformat(), "product_id": pid,
            "burnt": i >= n // 2, "snow": when.month in (12, 1, 2, 3),
            "urban_pixels": _box_pixels(layout.urban(i), size),
            "cloud_pixels": _box_pixels(layout.cloud, size) if i == 1 else 0,
            "shadow_pixels": _box_pixels(layout.shadow, size) if i == 1 else 0,
        })
        if i == n // 2:
            ncover, nqa, ntransform = _neighbour(cover, qa, transform)
            npid = product_id(when, NEIGHBOUR_PATH)
            _write_scene(build / "neighbour" / npid, npid, when, NEIGHBOUR_PATH, NEIGHBOUR_EPSG, ntransform,
                         _reflectance(ncover, nqa, rng), nqa)
            neighbour = {"path": f"neighbour/{npid}", "date": when.isoformat(),
                         "crs": f"EPSG:{NEIGHBOUR_EPSG}"}
    burn_pixels = _box_pixels(layout.burn, size)
    r0, r1, c0, c1 = layout.burn
    return {
        "dates": [d.isoformat() for d in dates],
        "crs": f"EPSG:{EPSG}", "transform": list(transform)[:6], "width": size, "height": size,
        "pixel_km2": pixel_km2, "pixels": size * size,
        "burn": {"before_index": n // 2 - 1, "after_index": n // 2, "box": [r0, r1, c0, c1],
                 "pixels": burn_pixels, "km2": burn_pixels * pixel_km2},
        "mountain_pixels": _box_pixels(layout.mountain, size),
        "lake_pixels": _box_pixels(layout.lake, size),
        "scenes": scenes, "neighbour": neighbour,
    }
