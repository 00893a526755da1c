"""Deterministic hostile-input corpus: seed files, hand-made hostile cases and seeded random mutations."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import random
import shutil
import stat
import struct
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Where the project's real sample files live (copied into the tmp folder as extra seeds when present).
REAL_DATA = Path(
    os.environ.get("SATVIEW_REAL_DATA", Path(__file__).resolve().parents[3] / "shared" / "data" / "real")
)

#: Real sample files used as mutation seeds (relative to :data:`REAL_DATA`) and their seed format.
REAL_SEEDS: dict[str, str] = {
    "landsat-tarballs/LE07_L1TP_104078_20130429_20161124_01_T1.tar": "landsat-tar",
    "landsat-tarballs/LT05_L1GS_092091_19910506_20170126_01_T2.tar.gz": "landsat-tar.gz",
    "geotiff/goes.tif": "geotiff",
    "hdf5-netcdf/testpyM15.h5": "hdf5",
    "hdf5-netcdf/MODIS_ARRAY.nc": "netcdf4",
    "hdf5-netcdf/3B42_Daily.19991231.7.test.nc": "netcdf4",
    "nsidc/nt_20171002_f17_v1.1_n.bin": "nsidc-binary",
    "hdf4/MOD09GA.A2008296.h14v17.006.2015181011753.hdf": "hdf4",
}

#: Expected outcome classes: the case must open, must give a categorised error, or either.
OPENS, ERROR, ANY = "opens", "error", "any"

Builder = Callable[[Path], "Path | str"]


@dataclass(frozen=True)
class Case:
    """One hostile input: ``build(folder)`` makes it inside an empty ``folder``; returns the path to open.

    ``kind`` is the family (truncate, flip, zero-header, huge, archive, fake-ext, empty, fifo, folder,
    name, nesting, seed, mutation), ``seed`` the seed format it came from, ``expect`` one of
    :data:`OPENS`, :data:`ERROR`, :data:`ANY`.
    """

    id: str
    kind: str
    expect: str
    build: Builder = field(repr=False, compare=False)
    seed: str = ""
    note: str = ""


# ----------------------------------------------------------------------------------- seed files


@dataclass
class Seed:
    """A valid input: its bytes (None for a folder scene), file name and format."""

    name: str
    fmt: str
    data: bytes | None
    folder: Path | None = None  # a scene folder (copied as a whole)
    real: bool = False


def _geotiff_bytes(tmp: Path) -> bytes:
    import rasterio
    from rasterio.transform import from_origin

    path = tmp / "seed.tif"
    rng = np.random.default_rng(1)
    data = rng.integers(0, 4000, size=(3, 48, 56), dtype=np.uint16)
    profile = {
        "driver": "GTiff",
        "width": 56,
        "height": 48,
        "count": 3,
        "dtype": "uint16",
        "crs": "EPSG:32633",
        "transform": from_origin(500000.0, 5000000.0, 30.0, 30.0),
        "tiled": True,
        "blockxsize": 16,
        "blockysize": 16,
        "compress": "deflate",
        "nodata": 0,
    }
    with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
    return path.read_bytes()


def _hdf5_bytes(tmp: Path) -> bytes:
    import h5py

    path = tmp / "seed.h5"
    with h5py.File(path, "w") as f:
        f.attrs["title"] = "satview hostile seed"
        g = f.create_group("science")
        d = g.create_dataset(
            "radiance",
            data=np.arange(40 * 50, dtype=np.float32).reshape(40, 50),
            chunks=(10, 25),
            compression="gzip",
        )
        d.attrs["units"] = "W m-2 sr-1 um-1"
        d.attrs["_FillValue"] = np.float32(-9999)
        g.create_dataset("cube", data=np.arange(3 * 20 * 30, dtype=np.int16).reshape(3, 20, 30))
    return path.read_bytes()


def _netcdf4_bytes(tmp: Path) -> bytes:
    import h5py

    path = tmp / "seed.nc"
    data = np.arange(2 * 18 * 36, dtype=np.uint8).reshape(2, 18, 36) % 101
    with h5py.File(path, "w") as f:
        f.attrs["Conventions"] = "CF-1.8"
        f["lat"] = np.arange(18) * -10.0 + 85.0
        f["lat"].attrs["units"] = "degrees_north"
        f["lon"] = np.arange(36) * 10.0 - 175.0
        f["lon"].attrs["units"] = "degrees_east"
        f["time"] = np.arange(2.0)
        v = f.create_dataset("ice_conc", data=data, chunks=(1, 9, 18), compression="gzip")
        v.attrs.update(
            {
                "scale_factor": np.float32(1.0),
                "units": "%",
                "valid_range": [0, 100],
                "standard_name": "sea_ice_area_fraction",
                "_FillValue": np.uint8(255),
            }
        )
        for name, axis in (("time", 0), ("lat", 1), ("lon", 2)):
            f[name].make_scale(name)
            v.dims[axis].attach_scale(f[name])
    return path.read_bytes()


def _hdf4_bytes(tmp: Path) -> bytes:
    from pyhdf.SD import SD, SDC

    path = tmp / "seed.hdf"
    sd = SD(str(path), SDC.WRITE | SDC.CREATE)
    sd.attr("title").set(SDC.CHAR8, "satview hostile seed")
    for name, arr, typ in (
        ("reflectance", np.arange(40 * 50, dtype=np.int16).reshape(40, 50), SDC.INT16),
        ("cube", np.arange(2 * 20 * 30, dtype=np.uint8).reshape(2, 20, 30), SDC.UINT8),
    ):
        sds = sd.create(name, typ, arr.shape)
        sds[:] = arr
        sds.attr("scale_factor").set(SDC.FLOAT64, 0.5)
        sds.endaccess()
    sd.end()
    return path.read_bytes()


def _nsidc_bytes() -> bytes:
    header = bytearray(b" " * 300)
    fields = [b"255", b"304", b"448", b"1.0", b"0.0", b"0.0", b"0.0", b"0", b"0", b"0", b"0", b"0"]
    for i, v in enumerate(fields):
        header[i * 6 : i * 6 + len(v)] = v
    header[126 : 126 + 26] = b"nt_20171002_f17_v1.1_n.bin"
    rng = np.random.default_rng(3)
    cells = rng.integers(0, 251, size=304 * 448, dtype=np.uint8)
    cells[:2000] = 254  # some land
    return bytes(header) + cells.tobytes()


class Seeds:
    """The valid seed inputs, built once (deterministically) into ``root/seeds``.

    ``probe`` is a folder hostile archives aim at (absolute and ``../`` member names); it must stay
    empty. Real samples are added when :data:`REAL_DATA` exists and ``real`` is True.
    """

    def __init__(self, root: Path, *, real: bool = True) -> None:
        self.root = Path(root)
        self.dir = self.root / "seeds"
        self.probe = self.root / "escape-probe"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.probe.mkdir(parents=True, exist_ok=True)
        self.items: dict[str, Seed] = {}
        self._build(real)

    def _build(self, real: bool) -> None:
        from satview.core.demo import make_demo_scene

        tmp = self.dir / "work"
        tmp.mkdir(exist_ok=True)
        for fmt in ("tar", "tar.gz", "dir"):
            out = make_demo_scene(self.dir / fmt.replace(".", "_"), size=(64, 72), fmt=fmt)
            if fmt == "dir":
                self.items["landsat-dir"] = Seed(out.name, "landsat-dir", None, folder=out)
            else:
                self.items[f"landsat-{fmt}"] = Seed(out.name, f"landsat-{fmt}", out.read_bytes())
        self.items["geotiff"] = Seed("scene.tif", "geotiff", _geotiff_bytes(tmp))
        self.items["hdf5"] = Seed("granule.h5", "hdf5", _hdf5_bytes(tmp))
        self.items["netcdf4"] = Seed("seaice.nc", "netcdf4", _netcdf4_bytes(tmp))
        self.items["hdf4"] = Seed("granule.hdf", "hdf4", _hdf4_bytes(tmp))
        self.items["nsidc-binary"] = Seed("nt_20171002_f17_v1.1_n.bin", "nsidc-binary", _nsidc_bytes())
        if real and REAL_DATA.is_dir():
            for rel, fmt in REAL_SEEDS.items():
                src = REAL_DATA / rel
                if src.is_file():  # copied into tmp at run time, never into the repository
                    dst = self.dir / "real" / src.name
                    dst.parent.mkdir(exist_ok=True)
                    shutil.copyfile(src, dst)
                    key = f"real-{fmt}-{_short(src.name)}"
                    self.items[key] = Seed(src.name, fmt, dst.read_bytes(), real=True)
        shutil.rmtree(tmp, ignore_errors=True)

    def synthetic(self) -> dict[str, Seed]:
        """The seeds made here (not the real samples)."""
        return {k: v for k, v in self.items.items() if not v.real}

    def files(self) -> dict[str, Seed]:
        """Every seed that is a single file (mutations need bytes)."""
        return {k: v for k, v in self.items.items() if v.data is not None}


def _short(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:6]


# --------------------------------------------------------------------------------- small builders


def _write(name: str, data: bytes) -> Builder:
    def build(folder: Path) -> Path:
        p = folder / name
        p.write_bytes(data)
        return p

    return build


def _tar_header(
    name: bytes,
    size: int = 0,
    typeflag: bytes = b"0",
    linkname: bytes = b"",
    mode: int = 0o644,
    size_field: bytes | None = None,
    devmajor: int = 0,
    devminor: int = 0,
) -> bytes:
    """A POSIX ustar header block, byte by byte (``size_field`` overrides the octal size)."""
    h = bytearray(512)
    h[0 : len(name[:100])] = name[:100]
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field if size_field is not None else b"%011o\0" % size
    h[136:148] = b"14000000000\0"
    h[156:157] = typeflag
    h[157 : 157 + len(linkname[:100])] = linkname[:100]
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[329:337] = b"%07o\0" % devmajor
    h[337:345] = b"%07o\0" % devminor
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def _tar_end() -> bytes:
    return bytes(1024)


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 512)


def _tar_with(
    seed: bytes, extra: list[tarfile.TarInfo | tuple[tarfile.TarInfo, bytes]], *, first: bool = True
) -> bytes:
    """The members of the tar ``seed`` plus ``extra`` (hostile members first or last)."""
    src = tarfile.open(fileobj=io.BytesIO(seed))  # noqa: SIM115
    out = io.BytesIO()
    with tarfile.open(
        fileobj=out, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape"
    ) as dst:

        def add_extra() -> None:
            for item in extra:
                info, data = item if isinstance(item, tuple) else (item, b"")
                info.size = len(data)
                dst.addfile(info, io.BytesIO(data) if data else None)

        if first:
            add_extra()
        for m in src.getmembers():
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)
        if not first:
            add_extra()
    return out.getvalue()


def _gz(data: bytes, level: int = 6) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def _ti(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = 0o644
    info.mtime = 1_600_000_000
    return info


_ZEROS_MEMBER: bytes | None = None


def _gzip_zeros_member(chunk: int = 64 << 20) -> bytes:
    """One gzip member holding ``chunk`` zero bytes (about 65 KB), computed once."""
    global _ZEROS_MEMBER
    if _ZEROS_MEMBER is None:
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        _ZEROS_MEMBER = c.compress(bytes(chunk)) + c.flush()
    return _ZEROS_MEMBER


def gzip_bomb(name: bytes, total: int = 6 << 30) -> bytes:
    """A ``.tar.gz`` whose one member (``name``) is ``total`` zero bytes: concatenated gzip members
    of 64 MiB zeros each, so the file stays about ``total / 1000`` bytes and is built in a second."""
    chunk = 64 << 20
    head = _gz(_tar_header(name, total), 9)
    reps = total // chunk
    return head + _gzip_zeros_member(chunk) * reps + _gz(_tar_end(), 9)


def _tiff(
    entries: list[tuple[int, int, int, int]],
    *,
    big_endian: bool = False,
    tail: bytes = b"\0" * 64,
    next_ifd: int = 0,
) -> bytes:
    """A classic TIFF with one IFD of (tag, type, count, value) entries, values inline."""
    e = ">" if big_endian else "<"
    out = bytearray((b"MM\0*" if big_endian else b"II*\0") + struct.pack(e + "I", 8))
    out += struct.pack(e + "H", len(entries))
    for tag, typ, count, value in sorted(entries):
        if typ == 3 and count == 1:
            out += struct.pack(e + "HHIHH", tag, typ, count, value, 0)
        else:
            out += struct.pack(e + "HHII", tag, typ, count, value)
    out += struct.pack(e + "I", next_ifd)
    return bytes(out + tail)


def _tiff_strip(
    width: int,
    height: int,
    *,
    spp: int = 1,
    bits: int = 8,
    strip_bytes: int | None = None,
    rows_per_strip: int | None = None,
) -> bytes:
    data_off = 8 + 2 + 12 * 10 + 4
    return _tiff(
        [
            (256, 4, 1, width),
            (257, 4, 1, height),
            (258, 3, 1, bits),
            (259, 3, 1, 1),
            (262, 3, 1, 1),
            (273, 4, 1, data_off),
            (277, 3, 1, spp),
            (278, 4, 1, rows_per_strip or height),
            (279, 4, 1, 64 if strip_bytes is None else strip_bytes),
            (284, 3, 1, 1),
        ]
    )


def _tiff_tiled(width: int, height: int, tile: int) -> bytes:
    data_off = 8 + 2 + 12 * 11 + 4
    return _tiff(
        [
            (256, 4, 1, width),
            (257, 4, 1, height),
            (258, 3, 1, 8),
            (259, 3, 1, 1),
            (262, 3, 1, 1),
            (277, 3, 1, 1),
            (284, 3, 1, 1),
            (322, 4, 1, tile),
            (323, 4, 1, tile),
            (324, 4, 1, data_off),
            (325, 4, 1, 64),
        ]
    )


def _bigtiff_huge() -> bytes:
    """A BigTIFF declaring 2^40 x 2^40 pixels in one strip."""
    entries = [
        (256, 16, 1, 1 << 40),
        (257, 16, 1, 1 << 40),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 16, 1, 300),
        (277, 3, 1, 1),
        (278, 16, 1, 1 << 40),
        (279, 16, 1, 1 << 62),
    ]
    out = bytearray(b"II+\0" + struct.pack("<HHQ", 8, 0, 16))
    out += struct.pack("<Q", len(entries))
    for tag, typ, count, value in entries:
        out += struct.pack("<HHQQ", tag, typ, count, value)
    out += struct.pack("<Q", 0)
    return bytes(out + b"\0" * 64)


def _h5_huge(tmp_name: str, kind: str) -> Builder:
    def build(folder: Path) -> Path:
        import h5py

        p = folder / tmp_name
        with h5py.File(p, "w") as f:
            if kind == "shape":
                f.create_dataset("big", shape=(1 << 40, 1 << 40), dtype="f4", chunks=(1024, 1024))
            elif kind == "chunk":
                f.create_dataset(
                    "bigchunk", shape=(30000, 30000), dtype="f4", chunks=(30000, 30000), fillvalue=1.0
                )
            elif kind == "cube":
                f.create_dataset("cube", shape=(1 << 16, 1 << 20, 1 << 20), dtype="u2", chunks=(1, 256, 256))
            elif kind == "netcdf":
                f.attrs["Conventions"] = "CF-1.8"
                n = 1 << 31
                f.create_dataset("lat", shape=(n,), dtype="f8", chunks=(4096,), fillvalue=1.0)
                f["lat"].attrs["units"] = "degrees_north"
                f.create_dataset("lon", shape=(n,), dtype="f8", chunks=(4096,), fillvalue=1.0)
                f["lon"].attrs["units"] = "degrees_east"
                v = f.create_dataset("ice_conc", shape=(n, n), dtype="u1", chunks=(256, 256))
                v.attrs["units"] = "%"
                for name, axis in (("lat", 0), ("lon", 1)):
                    f[name].make_scale(name)
                    v.dims[axis].attach_scale(f[name])
            elif kind == "many":
                for i in range(3000):
                    f.create_dataset(f"d{i:05d}", shape=(2, 2), dtype="u1")
        return p

    return build


def _hdf4_huge(folder: Path) -> Path:
    from pyhdf.SD import SD, SDC

    p = folder / "huge.hdf"
    sd = SD(str(p), SDC.WRITE | SDC.CREATE)
    sd.setfillmode(SDC.NOFILL)
    s = sd.create("big", SDC.INT16, (1 << 20, 1 << 20))
    s.endaccess()
    sd.end()
    return p


def _h5_bytes_names(folder: Path) -> Path:
    """An HDF5 file whose group, dataset and attribute names are not UTF-8 (h5py gives them as bytes)."""
    import h5py

    p = folder / "names.h5"
    with h5py.File(p, "w") as f:
        data = np.arange(600, dtype="f4").reshape(20, 30)
        d = f.create_group(b"gr\xe8p").create_dataset(b"d\xffta", data=data)
        d.attrs[b"un\xffits"] = b"m\xff"
        f.attrs[b"ti\xfftle"] = b"x"
    return p


def _hdf4_bytes_name(seeds: Seeds) -> Builder:
    """The HDF4 seed with its SDS ``reflectance`` renamed to non-UTF-8 bytes (pyhdf then cannot select
    it by that name)."""
    data = seeds.items["hdf4"].data or b""
    assert data.count(b"reflectance") == 1
    return _write("names.hdf", data.replace(b"reflectance", b"refl\xe9\xffctance"[:11]))


def _geotiff_undecodable_crs(folder: Path, name: str = "crs.tif") -> Path:
    """A GeoTIFF on a custom CRS whose citation key holds a byte that is not UTF-8 (rasterio raises
    ``UnicodeDecodeError`` in ``read_crs``)."""
    import warnings

    import rasterio
    from rasterio.crs import CRS
    from rasterio.transform import from_origin

    p = folder / name
    crs = CRS.from_proj4("+proj=stere +lat_0=90 +lat_ts=70 +lon_0=-45 +datum=WGS84 +units=m")
    with warnings.catch_warnings(), rasterio.Env(GDAL_PAM_ENABLED="NO"):
        warnings.simplefilter("ignore")
        with rasterio.open(p, "w", driver="GTiff", width=56, height=48, count=1, dtype="uint16", crs=crs,
                           transform=from_origin(0, 0, 25000, 25000)) as ds:
            ds.write(np.arange(56 * 48, dtype="uint16").reshape(1, 48, 56))
    raw = p.read_bytes()
    assert raw.count(b"unknown|GCS") == 1
    p.write_bytes(raw.replace(b"unknown|GCS", b"unkn\x80wn|GCS"))
    return p


def _tar_member_replaced(seed: bytes, suffix: str, change: Callable[[bytes], bytes]) -> bytes:
    """The tar ``seed`` with the data of its member ending in ``suffix`` replaced by ``change(data)``."""
    src = tarfile.open(fileobj=io.BytesIO(seed))  # noqa: SIM115
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as dst:
        for m in src.getmembers():
            f = src.extractfile(m)
            data = f.read() if f is not None else b""
            if m.name.endswith(suffix):
                data = change(data)
            m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    return out.getvalue()


def _png_bytes() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\0" + bytes(range(16)) for _ in range(16))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _zip_bytes() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("LC08_B4.TIF", (2020, 1, 1, 0, 0, 0)), b"II*\0" + bytes(100))
    return buf.getvalue()


def _fifo(name: str) -> Builder:
    def build(folder: Path) -> Path:
        p = folder / name
        os.mkfifo(p)
        return p

    return build


def _symlink(name: str, target: str | Callable[[Path], str]) -> Builder:
    def build(folder: Path) -> Path:
        p = folder / name
        os.symlink(target(folder) if callable(target) else target, p)
        return p

    return build


def _copy_seed(seed: Seed, name: str | None = None, sub: str = "") -> Builder:
    def build(folder: Path) -> Path:
        base = folder / sub if sub else folder
        base.mkdir(parents=True, exist_ok=True)
        if seed.folder is not None:
            dst = base / (name or seed.folder.name)
            shutil.copytree(seed.folder, dst)
            return dst
        p = base / (name or seed.name)
        assert seed.data is not None
        p.write_bytes(seed.data)
        return p

    return build


def _deep_tree(depth: int, seed: Seed, name: str = "scene.tif") -> Builder:
    """``seed`` at the bottom of ``depth`` nested folders (built with dir fds, so beyond PATH_MAX works)."""

    def build(folder: Path) -> Path:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        parts = []
        try:
            for i in range(depth):
                part = f"d{i % 10}"
                os.mkdir(part, dir_fd=fd)
                nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = nfd
                parts.append(part)
            wfd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            with os.fdopen(wfd, "wb") as fh:
                assert seed.data is not None
                fh.write(seed.data)
        finally:
            os.close(fd)
        return folder.joinpath(*parts, name)

    return build


def _folder_named(name: str, fill: Callable[[Path], None] | None = None) -> Builder:
    def build(folder: Path) -> Path:
        p = folder / name
        p.mkdir()
        if fill is not None:
            fill(p)
        return p

    return build


def _mtl_bytes(seeds: Seeds) -> bytes:
    src = tarfile.open(fileobj=io.BytesIO(seeds.items["landsat-tar"].data or b""))  # noqa: SIM115
    for m in src.getmembers():
        if m.name.endswith("_MTL.txt"):
            f = src.extractfile(m)
            assert f is not None
            return f.read()
    raise AssertionError("the demo tar has no MTL")


# ------------------------------------------------------------------------------------ mutations


def _offsets(n: int) -> list[int]:
    raw = [
        1,
        2,
        4,
        8,
        16,
        64,
        100,
        256,
        300,
        511,
        512,
        1024,
        2048,
        4096,
        n // 8,
        n // 4,
        n // 2,
        3 * n // 4,
        n - 512,
        n - 1,
    ]
    return sorted({o for o in raw if 0 < o < n})


def flip_positions(n: int, count: int, rng: random.Random) -> list[int]:
    """``count`` byte positions, half within the first 4 KiB (headers), half anywhere."""
    out = []
    for i in range(count):
        out.append(rng.randrange(min(n, 4096)) if i % 2 == 0 else rng.randrange(n))
    return out


def _mutated(seed: Seed, fn: Callable[[bytearray], bytes | bytearray], name: str | None = None) -> Builder:
    def build(folder: Path) -> Path:
        assert seed.data is not None
        p = folder / (name or seed.name)
        p.write_bytes(bytes(fn(bytearray(seed.data))))
        return p

    return build


_INTERESTING = [
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\xff\xff",
    b"\x00\x80",
    b"\xff\x7f",
    b"\xff\xff\xff\xff",
    b"\x00\x00\x00\x80",
    b"\xff\xff\xff\x7f",
    b"\x00\x00\x00\x00",
    b"\x01\x00\x00\x00",
    b"\xff" * 8,
    b"\x00\x00\x00\x00\x00\x00\x00\x80",
]


def _member_regions(data: bytes) -> list[tuple[int, int]]:
    """(start, length) of each tar header and the first KiB of each member's data."""
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data))  # noqa: SIM115
        return [
            r for m in tf.getmembers() for r in ((m.offset, 512), (m.offset_data, min(1024, max(1, m.size))))
        ]
    except (tarfile.TarError, OSError, EOFError):
        return []


def mutate(data: bytes, rng: random.Random, regions: list[tuple[int, int]] | None = None) -> bytes:
    """One seeded random mutation of ``data``: 1-3 operators (flips, interesting values, truncation,
    zeroed or random ranges, deleted or duplicated chunks), positions biased to headers/regions."""
    buf = bytearray(data)

    def pos() -> int:
        n = max(1, len(buf))
        r = rng.random()
        if regions and r < 0.5:
            start, length = rng.choice(regions)
            return min(n - 1, start + rng.randrange(max(1, length)))
        if r < 0.75:
            return rng.randrange(min(n, 4096))
        return rng.randrange(n)

    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if not buf:
            break
        op = rng.choices(
            ["flip", "interesting", "truncate", "zero", "random", "delete", "dup"],
            weights=[30, 25, 8, 10, 10, 8, 9],
        )[0]
        p = pos()
        if op == "flip":
            for _ in range(rng.randint(1, 8)):
                q = min(len(buf) - 1, p + rng.randrange(16))
                buf[q] ^= rng.randrange(1, 256)
        elif op == "interesting":
            v = rng.choice(_INTERESTING)
            if rng.random() < 0.5:
                v = v[::-1]
            buf[p : p + len(v)] = v
        elif op == "truncate":
            del buf[rng.randrange(1, max(2, len(buf))) :]
        elif op == "zero":
            n = rng.choice((4, 16, 64, 512, 4096))
            buf[p : p + n] = bytes(len(buf[p : p + n]))
        elif op == "random":
            n = rng.choice((1, 4, 16, 64, 512))
            buf[p : p + n] = bytes(rng.randrange(256) for _ in range(len(buf[p : p + n])))
        elif op == "delete":
            del buf[p : p + rng.choice((1, 4, 16, 512, 4096))]
        else:
            n = rng.choice((4, 16, 512, 4096))
            buf[p:p] = buf[p : p + n]
    return bytes(buf)


# ------------------------------------------------------------------------------- the case lists


def deterministic_cases(seeds: Seeds) -> list[Case]:
    """The fixed corpus: every seed as it is, its truncations, single-byte flips and zeroed headers,
    plus hand-made hostile inputs (huge sizes, hostile archives, fake extensions, empty files,
    FIFOs, folders, non-UTF-8 names, deep nesting)."""
    cases: list[Case] = []
    add = cases.append
    for key, seed in seeds.items.items():
        add(Case(f"seed-{key}", "seed", OPENS, _copy_seed(seed), key))
    for key, seed in seeds.synthetic().items():
        if seed.data is None:
            continue
        n = len(seed.data)
        for off in _offsets(n):
            add(Case(f"truncate-{key}-{off}", "truncate", ANY, _mutated(seed, lambda b, o=off: b[:o]), key))
        rng = random.Random(f"flip-{key}")
        for p in flip_positions(n, 20, rng):
            x = rng.randrange(1, 256)

            def flip(b: bytearray, p: int = p, x: int = x) -> bytearray:
                b[p] ^= x
                return b

            add(Case(f"flip-{key}-{p}-{x:02x}", "flip", ANY, _mutated(seed, flip), key))
        for z in (8, 64, 512, 4096):
            if z < n:
                add(
                    Case(
                        f"zero-header-{key}-{z}",
                        "zero-header",
                        ANY,
                        _mutated(seed, lambda b, z=z: bytes(z) + b[z:]),
                        key,
                    )
                )
    cases += _huge_cases(seeds)
    cases += _archive_cases(seeds)
    cases += _misc_cases(seeds)
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


def _huge_cases(seeds: Seeds) -> list[Case]:
    g = 1 << 31
    out = [
        Case("huge-tiff-2^31-square", "huge", ERROR, _write("huge.tif", _tiff_strip(g, g))),
        Case("huge-tiff-2^32-1-wide", "huge", ERROR, _write("wide.tif", _tiff_strip((1 << 32) - 1, 1))),
        Case(
            "huge-tiff-65535-one-strip",
            "huge",
            ANY,
            _write("strip.tif", _tiff_strip(65535, 65535, strip_bytes=0xFFFFFFFF)),
        ),
        Case("huge-tiff-65535-bands", "huge", ERROR, _write("bands.tif", _tiff_strip(16, 16, spp=65535))),
        Case("huge-tiff-tile-2^31", "huge", ERROR, _write("tile.tif", _tiff_tiled(g, g, g))),
        Case(
            "huge-tiff-tile-2^20", "huge", ANY, _write("tile20.tif", _tiff_tiled(1 << 20, 1 << 20, 1 << 20))
        ),
        Case("huge-tiff-64bit-samples", "huge", ANY, _write("bits.tif", _tiff_strip(30000, 30000, bits=64))),
        Case("huge-bigtiff-2^40", "huge", ERROR, _write("big.tif", _bigtiff_huge())),
        Case(
            "huge-tiff-ifd-loop",
            "huge",
            ANY,
            _write(
                "loop.tif",
                _tiff(
                    [(256, 4, 1, 16), (257, 4, 1, 16), (258, 3, 1, 8), (273, 4, 1, 8), (279, 4, 1, 256)],
                    next_ifd=8,
                ),
            ),
        ),
        Case(
            "huge-tiff-65535-entries",
            "huge",
            ERROR,
            _write("entries.tif", b"II*\0\x08\0\0\0\xff\xff" + bytes(200)),
        ),
        Case("huge-hdf5-2^40-shape", "huge", ANY, _h5_huge("huge.h5", "shape")),
        Case("huge-hdf5-3.6GB-chunk", "huge", ANY, _h5_huge("chunk.h5", "chunk")),
        Case("huge-hdf5-2^56-cube", "huge", ANY, _h5_huge("cube.h5", "cube")),
        Case("huge-hdf5-3000-datasets", "huge", ANY, _h5_huge("many.h5", "many")),
        Case("huge-netcdf4-2^31-dims", "huge", ANY, _h5_huge("huge.nc", "netcdf")),
        Case("huge-hdf4-2^20-square", "huge", ANY, _hdf4_huge),
        Case(
            "huge-nsidc-wrong-size",
            "huge",
            ERROR,
            _write(
                "nt_20171002_f17_v1.1_n.bin", (seeds.items["nsidc-binary"].data or b"")[:300] + bytes(999_999)
            ),
        ),
    ]
    name = b"LC08_L2SP_042034_20210612_20210622_02_T1_SR_B4.TIF"
    mtl = _mtl_bytes(seeds)
    mtl_h = _tar_header(b"LC08_L2SP_042034_20210612_20210622_02_T1_MTL.txt", len(mtl)) + _pad(mtl)
    for label, field_ in (
        ("octal-8G", b"77777777777\0"),
        ("base256-2^62", b"\x80" + bytes(3) + (1 << 62).to_bytes(8, "big")),
        ("negative", b"\xff" * 12),
        ("garbage", b"zzzzzzzzzzz\0"),
    ):
        body = mtl_h + _tar_header(name, size_field=field_) + bytes(4096) + _tar_end()
        out.append(Case(f"huge-tar-size-{label}", "huge", ERROR, _write("scene.tar", body)))
        out.append(Case(f"huge-tar.gz-size-{label}", "huge", ERROR, _write("scene.tar.gz", _gz(body))))
    return out


def _archive_cases(seeds: Seeds) -> list[Case]:
    tar = seeds.items["landsat-tar"].data or b""
    probe = str(seeds.probe)
    b4 = "LC08_L2SP_042034_20210612_20210622_02_T1_SR_B4.TIF"
    hostile: dict[str, list] = {
        "dotdot": [(_ti("../../../../../../../../../../.." + probe + "/dotdot.txt"), b"escaped\n")],
        "dotdot-inner": [(_ti("sub/../../escaped.txt"), b"escaped\n")],
        "absolute": [(_ti(probe + "/absolute.txt"), b"escaped\n")],
        "symlink-out": [_ti("link.TIF", tarfile.SYMTYPE, "/etc/passwd")],
        "symlink-band": [_ti(b4 + ".lnk", tarfile.SYMTYPE, b4)],
        "symlink-dir-then-file": [_ti("sub", tarfile.SYMTYPE, probe), (_ti("sub/through-link.txt"), b"x\n")],
        "hardlink-out": [_ti("hard.TIF", tarfile.LNKTYPE, "/etc/passwd")],
        "hardlink-dotdot": [_ti("hard2.TIF", tarfile.LNKTYPE, "../../../etc/passwd")],
        "chardev": [_ti("zero.TIF", tarfile.CHRTYPE)],
        "blockdev": [_ti("disk.TIF", tarfile.BLKTYPE)],
        "fifo-member": [_ti("pipe.TIF", tarfile.FIFOTYPE)],
        "duplicate-band": [(_ti(b4), b"II*\0" + bytes(200))],
        "non-utf8-member": [(_ti(os.fsdecode(b"\xff\xfe\xfd_B9.TIF")), b"II*\0" + bytes(64))],
    }
    out: list[Case] = []
    for label, extra in hostile.items():
        for first in (True, False):
            data = _tar_with(tar, extra, first=first)
            where = "first" if first else "last"
            out.append(Case(f"archive-tar-{label}-{where}", "archive", ERROR, _write("scene.tar", data)))
            out.append(
                Case(
                    f"archive-tar.gz-{label}-{where}", "archive", ERROR, _write("scene.tar.gz", _gz(data, 1))
                )
            )
    many = b"".join(_tar_header(b"m/%06d.txt" % i) for i in range(100_000)) + _tar_end()
    out.append(Case("archive-tar-100k-members", "archive", ERROR, _write("many.tar", many)))
    out.append(Case("archive-tar.gz-100k-members", "archive", ERROR, _write("many.tar.gz", _gz(many, 1))))
    bomb_name = b"LC08_L2SP_042034_20210612_20210622_02_T1_SR_B4.TIF"
    out.append(
        Case(
            "archive-gzip-bomb-6GiB",
            "archive",
            ERROR,
            lambda folder: _write("bomb.tar.gz", gzip_bomb(bomb_name))(folder),
        )
    )
    mtl = _mtl_bytes(seeds)
    mtl_member = _tar_header(b"LC08_L2SP_042034_20210612_20210622_02_T1_MTL.txt", len(mtl)) + _pad(mtl)
    out.append(
        Case(
            "archive-gzip-bomb-after-mtl",
            "archive",
            ERROR,
            lambda folder: _write("bomb2.tar.gz", _gz(mtl_member, 9) + gzip_bomb(bomb_name, 2 << 30))(folder),
        )
    )
    out.append(Case("archive-tar-only-end-blocks", "archive", ERROR, _write("blank.tar", bytes(10240))))
    out.append(Case("archive-tar-mtl-only", "archive", ERROR, _write("mtl.tar", mtl_member + _tar_end())))
    out.append(Case("archive-plain-tar-named-tar.gz", "archive", OPENS, _write("scene.tar.gz", tar)))
    # a broken member of a .tar.gz: the message names the archive and the member, not the cache copy
    scene = seeds.items["landsat-tar.gz"].name
    for label, suffix, change, expect in (
        ("zeroed-mtl", "_MTL.txt", lambda b: bytes(len(b)), ERROR),
        ("truncated-band", "_SR_B4.TIF", lambda b: b[:600], ANY),
        ("band-crs-not-utf8", "_SR_B4.TIF", _crs_not_utf8, ERROR),
    ):
        body = _tar_member_replaced(tar, suffix, change)
        out.append(Case(f"archive-tar.gz-member-{label}", "archive", expect, _write(scene, _gz(body, 1))))
        plain = _write(scene.replace(".gz", ""), body)
        out.append(Case(f"archive-tar-member-{label}", "archive", expect, plain))
    return out


def _crs_not_utf8(band: bytes) -> bytes:
    """A Landsat band (GeoTIFF) with a byte that is not UTF-8 in its CRS citation key."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return _geotiff_undecodable_crs(Path(tmp)).read_bytes()


def _misc_cases(seeds: Seeds) -> list[Case]:
    s = seeds.items
    tif = s["geotiff"]
    text = b"This is not an image. " * 40
    mtl = _mtl_bytes(seeds)
    out = [
        # fake extensions
        Case("fake-text-as-tif", "fake-ext", ERROR, _write("scene.tif", text)),
        Case("fake-png-as-hdf", "fake-ext", ANY, _write("granule.hdf", _png_bytes())),
        Case("fake-png-as-tif", "fake-ext", ANY, _write("image.tif", _png_bytes())),
        Case("fake-jpeg-as-tif", "fake-ext", ERROR, _write("photo.tif", b"\xff\xd8\xff\xe0" + bytes(300))),
        Case("fake-zip-as-tar.gz", "fake-ext", ERROR, _write("scene.tar.gz", _zip_bytes())),
        Case("fake-gzip-text-as-tar.gz", "fake-ext", ERROR, _write("scene.tar.gz", _gz(text))),
        Case("fake-text-as-tar", "fake-ext", ERROR, _write("scene.tar", text)),
        Case("fake-random-as-nc", "fake-ext", ERROR, _write("data.nc", random.Random(5).randbytes(5000))),
        Case("fake-random-as-h5", "fake-ext", ERROR, _write("data.h5", random.Random(6).randbytes(5000))),
        Case(
            "fake-html-as-tar.gz",
            "fake-ext",
            ERROR,
            _write("scene.tar.gz", b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n"),
        ),
        Case(
            "fake-random-as-nsidc-size",
            "fake-ext",
            ANY,
            _write("nt_20171002_f17_v1.1_n.bin", random.Random(7).randbytes(300 + 304 * 448)),
        ),
        Case("fake-hdf5-as-tif", "fake-ext", OPENS, _copy_seed(s["hdf5"], "granule.tif")),
        Case("fake-geotiff-as-h5", "fake-ext", OPENS, _copy_seed(tif, "scene.h5")),
        Case("fake-tar-as-tif", "fake-ext", OPENS, _copy_seed(s["landsat-tar"], "scene.tif")),
        Case("fake-hdf4-as-nc", "fake-ext", OPENS, _copy_seed(s["hdf4"], "granule.nc")),
        Case("fake-netcdf3-magic-only", "fake-ext", ERROR, _write("data.nc", b"CDF\x01" + bytes(60))),
        Case("fake-hdf4-magic-only", "fake-ext", ERROR, _write("data.hdf", b"\x0e\x03\x13\x01" + bytes(60))),
        Case("fake-hdf5-magic-only", "fake-ext", ERROR, _write("data.h5", b"\x89HDF\r\n\x1a\n" + bytes(60))),
        Case("fake-tiff-magic-only", "fake-ext", ERROR, _write("data.tif", b"II*\0")),
        # MTL oddities
        Case("mtl-alone", "fake-ext", ERROR, _write("LC08_L2SP_042034_20210612_20210622_02_T1_MTL.txt", mtl)),
        Case(
            "mtl-nested-10000",
            "fake-ext",
            ERROR,
            _write("LC08_L2SP_042034_20210612_20210622_02_T1_MTL.txt", b"GROUP = A\n" * 10000 + b"END\n"),
        ),
        Case(
            "mtl-9MB",
            "fake-ext",
            ERROR,
            _write(
                "LC08_L2SP_042034_20210612_20210622_02_T1_MTL.txt",
                mtl[:-4] + b"  X = 1\n" * 1_200_000 + b"END\n",
            ),
        ),
        Case(
            "mtl-not-utf8",
            "fake-ext",
            ERROR,
            _write(
                "LC08_L2SP_042034_20210612_20210622_02_T1_MTL.txt", b"\xff\xfe" + mtl.replace(b"=", b"\xe9=")
            ),
        ),
    ]
    # empty files, FIFOs, folders
    for ext in ("tif", "tar", "tar.gz", "h5", "nc", "hdf", "bin"):
        out.append(Case(f"empty-{ext}", "empty", ERROR, _write(f"empty.{ext}", b"")))
        out.append(Case(f"fifo-{ext}", "fifo", ERROR, _fifo(f"pipe.{ext}")))
    out.append(
        Case("empty-mtl", "empty", ERROR, _write("LC08_L2SP_042034_20210612_20210622_02_T1_MTL.txt", b""))
    )
    out.append(Case("fifo-mtl", "fifo", ERROR, _fifo("LC08_L2SP_042034_20210612_20210622_02_T1_MTL.txt")))
    out.append(
        Case(
            "symlink-to-fifo-tif",
            "fifo",
            ERROR,
            lambda folder: (os.mkfifo(folder / "real.pipe"), _symlink("scene.tif", "real.pipe")(folder))[1],
        )
    )
    out.append(Case("symlink-dev-zero-tif", "fifo", ERROR, _symlink("zero.tif", "/dev/zero")))
    out.append(Case("symlink-dev-urandom-h5", "fifo", ERROR, _symlink("random.h5", "/dev/urandom")))
    out.append(Case("symlink-dangling-tif", "fifo", ERROR, _symlink("gone.tif", "does-not-exist.tif")))
    out.append(
        Case(
            "symlink-loop-tif",
            "fifo",
            ERROR,
            lambda folder: (os.symlink("b.tif", folder / "a.tif"), _symlink("b.tif", "a.tif")(folder))[1],
        )
    )
    out.append(Case("socket-tif", "fifo", ERROR, _socket("sock.tif")))
    out.append(Case("folder-named-tar-empty", "folder", ERROR, _folder_named("scene.tar")))
    out.append(
        Case(
            "folder-named-tif",
            "folder",
            ERROR,
            _folder_named("scene.tif", lambda p: (p / "x.txt").write_text("x")),
        )
    )
    out.append(Case("folder-named-h5", "folder", ERROR, _folder_named("granule.h5")))
    out.append(
        Case("folder-named-tar-with-scene", "folder", ANY, lambda folder: _folder_with_scene(folder, seeds))
    )
    out.append(
        Case(
            "folder-garbage",
            "folder",
            ERROR,
            _folder_named(
                "LC08_L2SP_042034_20210612_20210622_02_T1", lambda p: (p / "junk.bin").write_bytes(bytes(100))
            ),
        )
    )
    out.append(Case("folder-scene-truncated-band", "folder", ANY, _dir_scene_mutated(seeds, "truncate")))
    out.append(Case("folder-scene-missing-band", "folder", ANY, _dir_scene_mutated(seeds, "delete")))
    out.append(Case("folder-scene-band-is-fifo", "folder", ANY, _dir_scene_mutated(seeds, "fifo")))
    out.append(Case("folder-scene-band-is-dir", "folder", ANY, _dir_scene_mutated(seeds, "dir")))
    out.append(Case("folder-scene-mtl-is-fifo", "folder", ERROR, _dir_scene_mutated(seeds, "mtl-fifo")))
    out.append(Case("url-like-name", "name", ERROR, lambda folder: _url_like(folder, tif)))
    # non-UTF-8 names
    for key in ("landsat-tar", "landsat-tar.gz", "geotiff", "hdf5", "hdf4", "netcdf4"):
        seed = s[key]
        ext = seed.name.split(".", 1)[1]
        out.append(
            Case(
                f"name-non-utf8-{key}",
                "name",
                ANY,
                _copy_seed(seed, os.fsdecode(b"sc\xe8ne\xff\xfe." + ext.encode())),
            )
        )
    out.append(
        Case(
            "name-non-utf8-dir-scene",
            "name",
            ANY,
            _copy_seed(s["landsat-dir"], sub=os.fsdecode(b"d\xff\xfe")),
        )
    )
    out.append(Case("name-non-utf8-corrupt-tif", "name", ERROR, _write(os.fsdecode(b"bad\xff.tif"), text)))
    # names inside files that are not UTF-8, and undecodable GeoTIFF keys: shown escaped, files open
    out.append(Case("name-non-utf8-hdf5-objects", "name", OPENS, _h5_bytes_names))
    out.append(Case("name-non-utf8-hdf4-sds", "name", OPENS, _hdf4_bytes_name(seeds)))
    out.append(Case("geotiff-crs-not-utf8", "name", OPENS, _geotiff_undecodable_crs))
    out.append(Case("name-newline-and-colon", "name", OPENS, _copy_seed(tif, "a\nb: c.tif")))
    out.append(Case("name-leading-dash", "name", OPENS, _copy_seed(tif, "-scene.tif")))
    out.append(Case("name-vsi-prefix-folder", "name", OPENS, _copy_seed(tif, "scene.tif", sub="vsizip")))
    # deep nesting
    out.append(Case("nesting-depth-100", "nesting", OPENS, _deep_tree(100, tif)))
    out.append(Case("nesting-beyond-path-max", "nesting", ERROR, _deep_tree(1500, tif)))
    return out


def _url_like(folder: Path, seed: Seed) -> str:
    (folder / "http:").mkdir()
    assert seed.data is not None
    (folder / "http:" / "host.tif").write_bytes(seed.data)
    return str(folder / "http:") + "//host.tif"  # a str: Path() would fold the "//"


def _socket(name: str) -> Builder:
    def build(folder: Path) -> Path:
        import socket

        p = folder / name
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(str(p))
        finally:
            s.close()
        return p

    return build


def _folder_with_scene(folder: Path, seeds: Seeds) -> Path:
    src = seeds.items["landsat-dir"].folder
    assert src is not None
    dst = folder / "scene.tar"
    shutil.copytree(src, dst)
    return dst


def _dir_scene_mutated(seeds: Seeds, how: str) -> Builder:
    def build(folder: Path) -> Path:
        src = seeds.items["landsat-dir"].folder
        assert src is not None
        dst = folder / src.name
        shutil.copytree(src, dst)
        band = next(dst.glob("*_SR_B4.TIF"))
        if how == "truncate":
            band.write_bytes(band.read_bytes()[:700])
        elif how == "delete":
            band.unlink()
        elif how == "fifo":
            band.unlink()
            os.mkfifo(band)
        elif how == "dir":
            band.unlink()
            band.mkdir()
        elif how == "mtl-fifo":
            for mtl in dst.glob("*_MTL.*"):
                mtl.unlink()
            os.mkfifo(dst / (src.name + "_MTL.txt"))
        return dst

    return build


def random_mutations(seeds: Seeds, n: int, seed: int = 0, keys: list[str] | None = None) -> Iterator[Case]:
    """``n`` seeded random mutations spread over the file seeds (round robin over ``keys``).

    For ``.tar.gz`` seeds half the mutations are made on the inner tar, then compressed again, so
    they reach the members instead of only breaking the gzip CRC."""
    files = seeds.files()
    keys = sorted(keys or files)
    regions = {k: _member_regions(files[k].data or b"") for k in keys if files[k].fmt == "landsat-tar"}
    inner: dict[str, bytes] = {}
    for k in keys:
        if files[k].fmt == "landsat-tar.gz":
            raw = gzip.decompress(files[k].data or b"")
            inner[k] = raw
            regions[k] = _member_regions(raw)
    for i in range(n):
        key = keys[i % len(keys)]
        sd = files[key]
        rng = random.Random(f"{seed}-{i}-{key}")
        mode = "inner" if key in inner and rng.random() < 0.5 else "raw"

        def build(
            folder: Path, sd: Seed = sd, key: str = key, rng_seed: str = f"{seed}-{i}-{key}", mode: str = mode
        ) -> Path:
            r = random.Random(rng_seed)
            r.random()  # the mode draw
            if mode == "inner":
                data = _gz(mutate(inner[key], r, regions.get(key)), 1)
            else:
                data = mutate(sd.data or b"", r, regions.get(key))
            p = folder / sd.name
            p.write_bytes(data)
            return p

        yield Case(
            f"mut-{seed}-{i:05d}-{key}{'-inner' if mode == 'inner' else ''}", "mutation", ANY, build, key
        )


def materialize(case: Case, root: Path) -> Path | str:
    """Build ``case`` in its own empty folder ``root/<id>`` and return the path to open."""
    folder = Path(root) / case.id
    if folder.exists() or folder.is_symlink():
        remove_tree(folder)
    folder.mkdir(parents=True)
    return case.build(folder)


def remove_tree(path: Path | str) -> None:
    """Remove a case folder whatever it holds (FIFOs, sockets, trees deeper than PATH_MAX or the
    recursion limit): iterative, through directory descriptors, never following a link."""
    path = os.fspath(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return
    parent = os.open(os.path.dirname(os.path.abspath(path)) or "/", os.O_RDONLY | os.O_DIRECTORY)
    stack: list[tuple[int, str, bool]] = [(parent, os.path.basename(os.path.abspath(path)), False)]
    while stack:
        pfd, name, emptied = stack.pop()
        if emptied:
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(name, dir_fd=pfd)
            os.close(pfd)
            continue
        try:
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=pfd)
        except FileNotFoundError:
            os.close(pfd)
            continue
        stack.append((pfd, name, True))
        for child in os.listdir(fd):
            cst = os.stat(child, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(cst.st_mode):
                stack.append((os.dup(fd), child, False))
            else:
                os.unlink(child, dir_fd=fd)
        os.close(fd)


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Names, modes, sizes and mtimes (ns) of everything under ``folder`` (no link is followed,
    nothing is opened but folders; iterative and through directory descriptors, so trees deeper
    than PATH_MAX or the recursion limit work)."""
    out: dict[str, tuple[int, int, int]] = {}
    top = os.open(os.fspath(folder), os.O_RDONLY | os.O_DIRECTORY)
    stack: list[tuple[int, str]] = [(top, "")]
    while stack:
        fd, rel = stack.pop()
        try:
            for name in os.listdir(fd):
                try:
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except OSError:
                    continue
                key = f"{rel}/{name}" if rel else name
                is_dir = stat.S_ISDIR(st.st_mode)
                out[key] = (st.st_mode, 0 if is_dir else st.st_size, st.st_mtime_ns)
                if is_dir:
                    with contextlib.suppress(OSError):
                        stack.append(
                            (os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd), key)
                        )
        finally:
            os.close(fd)
    return out
