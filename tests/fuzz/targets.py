"""Fuzz targets: every parser satview wrote itself that reads user bytes, with its seed corpus.

Each :class:`Target` takes one input (bytes) to the parser the way satview's readers hand it over
(as a file where the reader opens a file, as text where it parses text) and lets through only the
exceptions that are the parser's contract: ``SatviewError`` everywhere, plus the few builtin
errors a caller catches on purpose and turns into a warning (named per target, with the caller).
Anything else escaping a target is a bug. The harness (``tests/fuzz/harness.py``, atheris), the
smoke test (``SATVIEW_FUZZ=1``) and the regression replay (``tests/fuzz/regressions/``) share them.
"""

from __future__ import annotations

import atexit
import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from satview.errors import SatviewError

REAL = Path(os.environ.get("SATVIEW_REAL_DATA",
                           Path(__file__).resolve().parents[3] / "shared" / "data" / "real"))

#: Where inputs that must be files are written: ``$SATVIEW_FUZZ_SCRATCH`` (made and removed by the
#: caller: libFuzzer ends its process without running exit handlers), else a folder of this process.
_SCRATCH = Path(os.environ.get("SATVIEW_FUZZ_SCRATCH") or tempfile.mkdtemp(prefix="satview-fuzz-"))
if "SATVIEW_FUZZ_SCRATCH" not in os.environ:
    atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


@dataclass(frozen=True)
class Target:
    """A parser under fuzzing: ``run(data)`` feeds it one input; ``allowed`` are the exceptions that
    are its contract; ``seeds()`` gives the starting corpus; ``max_len`` bounds generated inputs."""

    name: str
    run: Callable[[bytes], None]
    allowed: tuple[type[BaseException], ...]
    seeds: Callable[[], list[bytes]]
    max_len: int = 1 << 16


def _file(name: str, data: bytes) -> Path:
    path = _SCRATCH / name
    path.write_bytes(data)
    return path


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


# --- MTL text / JSON / XML ------------------------------------------------------------------------


def _run_mtl(data: bytes) -> None:
    from satview.core.mtl import parse_mtl

    mtl = parse_mtl(data, name="fuzz_MTL.txt")
    mtl.get("SPACECRAFT_ID")
    mtl.items_in("PRODUCT_METADATA")


def _mtl_seeds() -> list[bytes]:
    """The real MTL text, JSON and XML samples (the 64 KB MSS one is left out: slow to mutate)."""
    return [p.read_bytes() for p in sorted((REAL / "landsat-mtl").glob("*")) if p.stat().st_size < 20_000]


# --- ODL tokeniser and HDF-EOS StructMetadata ------------------------------------------------------


def _run_hdfeos(data: bytes) -> None:
    """What the HDF4 reader does with StructMetadata: grids, then CRS and transform of each
    (it catches ValueError/MetadataError from ``grids_from_metadata`` and reads the file in pixels)."""
    from satview.core import hdfeos

    try:
        grids = hdfeos.grids_from_metadata(_text(data))
    except ValueError:
        return
    for g in grids:
        hdfeos.grid_crs(g)
        hdfeos.grid_transform(g)
        hdfeos.grid_transform(g, 10, 10)


def _hdfeos_seeds() -> list[bytes]:
    out = []
    for hdf in sorted((REAL / "hdf4").glob("*.hdf")):
        raw = hdf.read_bytes()
        start = raw.find(b"GROUP=SwathStructure")
        end = raw.find(b"\x00", start)
        if start >= 0 and end > start:
            out.append(raw[start:end])
    return out


# --- NSIDC-0051 binary header ---------------------------------------------------------------------


def _run_nsidc(data: bytes) -> None:
    """The reader opens a file whose size fits a grid; the header is the first 300 bytes."""
    from satview.core.readers.nsidc_binary import open_nsidc_binary
    from satview.core.readers.nsidc_header import HEADER_BYTES

    head = data[:HEADER_BYTES].ljust(HEADER_BYTES, b"\x00")
    path = _file("nt_20171002_f17_v1.1_n.bin", head + bytes(304 * 448))
    open_nsidc_binary(path).close()


def _nsidc_seeds() -> list[bytes]:
    return [p.read_bytes()[:300] for p in sorted((REAL / "nsidc").glob("*.bin"))]


# --- tar header scan and .tar.gz member budget ----------------------------------------------------


def _run_tar(data: bytes) -> None:
    from satview.core.archive import list_tar

    list_tar(_file("scene.tar", data))


def _run_targz(data: bytes) -> None:
    """The fuzzed bytes are the tar stream; the file on disk is its gzip (fuzzing deflate is moot)."""
    from satview.core.archive import unpack_to_cache

    cache = _SCRATCH / "cache"
    os.environ["SATVIEW_CACHE_DIR"] = str(cache)
    try:
        unpack_to_cache(_file("scene.tar.gz", gzip.compress(data, 1)))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _tar_seeds() -> list[bytes]:
    def tar(members: dict[str, bytes], fmt: int = tarfile.GNU_FORMAT) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
            for name, body in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(body)
                tf.addfile(info, io.BytesIO(body))
        return buf.getvalue()

    mtl = b'GROUP = L1_METADATA_FILE\n  SPACECRAFT_ID = "LANDSAT_8"\nEND_GROUP = L1_METADATA_FILE\nEND\n'
    return [
        tar({"LC08_X_MTL.txt": mtl, "LC08_X_B1.TIF": b"II*\x00" + bytes(60)}),
        tar({"a/" + "n" * 120 + "_B2.TIF": bytes(100)}, tarfile.PAX_FORMAT),
        tar({"x_B3.TIF": bytes(600)}, tarfile.USTAR_FORMAT),
    ]


# --- netCDF-3 header ------------------------------------------------------------------------------


def _run_netcdf3(data: bytes) -> None:
    from satview.core.readers.netcdf3 import open_netcdf3

    open_netcdf3(_file("fuzz.nc", data)).close()


def _netcdf3_seeds() -> list[bytes]:
    return [p.read_bytes()[:1 << 16] for p in sorted(REAL.glob("*/*.nc")) if p.read_bytes()[:3] == b"CDF"]


# --- GeoJSON / WKT / vector AOI -------------------------------------------------------------------


def _run_aoi_text(data: bytes) -> None:
    """An AOI file (``.geojson``: GeoJSON or WKT text); inline strings take the same parser."""
    from satview.core.aoi import load_aoi

    aoi = load_aoi(_file("area.geojson", data))
    aoi.to_geojson()


def _run_shapefile(data: bytes) -> None:
    """A ``.shp`` (fuzzed) with the real ``.shx``/``.prj``/``.dbf`` beside it, read through pyogrio."""
    from satview.core.aoi import load_aoi

    for ext in (".shx", ".prj", ".dbf"):
        target = _SCRATCH / f"box{ext}"
        if not target.exists():
            shutil.copy(REAL / "vector" / f"box{ext}", target)
    load_aoi(_file("box.shp", data))


def _aoi_seeds() -> list[bytes]:
    return [
        (REAL / "vector" / "area.geojson").read_bytes(),
        b"POLYGON((10 10, 11 10, 11 11, 10 11, 10 10))",
        b"SRID=32618;MULTIPOLYGON(((500000 4000000,501000 4000000,501000 4001000,500000 4000000)))",
        json.dumps({"type": "Feature", "crs": {"type": "name", "properties": {"name": "EPSG:3413"}},
                    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1e5, 0], [1e5, 1e5], [0, 0]]]}}
                   ).encode(),
    ]


# --- world files and the SATVIEW domain -----------------------------------------------------------
# ``.aux.xml`` side-cars are written, never read: GDAL runs with GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR,
# so PAM does not find them, and satview's own facts travel in the GeoTIFF's SATVIEW domain.


def _run_world(data: bytes) -> None:
    from satview.core.readers.raster import world_file_transform

    png = _file("img.png", b"")
    _file("img.pgw", data)
    world_file_transform(png, "png")


def _run_domain(data: bytes) -> None:
    """The SATVIEW records as text; the GeoTIFF reader catches these builtins and reads a plain GeoTIFF."""
    from satview.core.qa import QA_KEYS
    from satview.core.satview_domain import decode_band, decode_scene

    text = _text(data)
    decode_scene(text)
    decode_band(text, dtype="uint16", nodata=0.0, source="x.tif", source_band=1, qa_keys=QA_KEYS)


_DOMAIN_BUILTINS = (ValueError, UnicodeError, RecursionError, OverflowError)


def _records() -> tuple[str, list[str]]:
    from satview.core.readers import open_scene
    from satview.core.satview_domain import band_record, encode, scene_record

    scene = open_scene(str(REAL / "landsat-scenes" / "LC08_L1TP_090084_20160121_20170405_01_T1"))
    try:
        return encode(scene_record(scene.info)), [encode(band_record(b)) for b in scene.info.bands]
    finally:
        scene.close()


def _domain_seeds() -> list[bytes]:
    scene, bands = _records()
    return [scene.encode()] + [b.encode() for b in bands[:4]] + [
        json.dumps({**json.loads(bands[-1]), **json.loads(scene)}).encode()]


def _shp_seeds() -> list[bytes]:
    return [(REAL / "vector" / "box.shp").read_bytes()]


def _world_seeds() -> list[bytes]:
    return [b"30.0\n0.0\n0.0\n-30.0\n500015.0\n4199985.0\n", b"1\n0\n0\n-1\n0.5\n-0.5"]


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("mtl", _run_mtl, (SatviewError,), _mtl_seeds),
    Target("hdfeos", _run_hdfeos, (SatviewError,), _hdfeos_seeds),
    Target("nsidc", _run_nsidc, (SatviewError,), _nsidc_seeds, max_len=300),
    Target("tar", _run_tar, (SatviewError,), _tar_seeds),
    Target("targz", _run_targz, (SatviewError,), _tar_seeds),
    Target("netcdf3", _run_netcdf3, (SatviewError,), _netcdf3_seeds),
    Target("aoi", _run_aoi_text, (SatviewError,), _aoi_seeds),
    Target("shapefile", _run_shapefile, (SatviewError,), _shp_seeds),
    Target("worldfile", _run_world, (SatviewError,), _world_seeds, max_len=4200),
    Target("domain", _run_domain, (SatviewError, *_DOMAIN_BUILTINS), _domain_seeds),
)}
