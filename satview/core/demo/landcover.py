"""Synthetic Landsat 8 surface: land cover, SR, ST, QA_PIXEL and QA_RADSAT, rendered row block by row block.

Large-scale structure (terrain, moisture, towns, lakes, clouds, cirrus, hill shading) comes from
smooth fractal noise held at reduced resolution for the whole scene (at most ~2000 pixels a
side) and upsampled bilinearly per row block; fine structure (field parcels, streets, texture)
is computed per pixel. A block's result depends only on the seed, the scene size and the block's
rows, so any row block can be rendered on its own and the scene never exists at full size in
floating point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from satview.core.demo.grid import FULL_SIZE

DEEP_WATER, SHALLOW_WATER, FOREST, CROPLAND, GRASSLAND, BARE, URBAN, SNOW = range(8)
CLASS_NAMES = ("deep water", "shallow water", "forest", "cropland", "grassland", "bare soil", "urban", "snow")

#: Surface reflectance of each class in OLI bands 1-7 (coastal, blue, green, red, NIR, SWIR1, SWIR2).
SPECTRA = np.array(
    [
        [0.045, 0.038, 0.030, 0.016, 0.008, 0.004, 0.002],  # deep water
        [0.060, 0.062, 0.078, 0.058, 0.026, 0.012, 0.006],  # shallow (turbid) water
        [0.020, 0.025, 0.045, 0.028, 0.300, 0.140, 0.060],  # conifer forest
        [0.030, 0.038, 0.075, 0.042, 0.420, 0.210, 0.095],  # cropland, full canopy
        [0.045, 0.055, 0.090, 0.110, 0.260, 0.300, 0.200],  # dry summer grassland
        [0.100, 0.125, 0.185, 0.245, 0.300, 0.370, 0.310],  # bare soil / rock
        [0.080, 0.090, 0.110, 0.130, 0.190, 0.210, 0.180],  # urban
        [0.880, 0.890, 0.870, 0.840, 0.720, 0.050, 0.040],  # snow
    ],
    dtype=np.float32,
)
FALLOW = np.array([0.070, 0.090, 0.130, 0.170, 0.250, 0.320, 0.250], dtype=np.float32)
CLOUD = np.array([0.700, 0.690, 0.700, 0.720, 0.750, 0.560, 0.400], dtype=np.float32)
#: Fraction of the reflectance left in cloud shadow (diffuse sky light keeps more blue).
SHADOW = np.array([0.48, 0.44, 0.40, 0.36, 0.32, 0.30, 0.30], dtype=np.float32)
#: Thin cirrus adds this fraction of the cloud spectrum at its densest.
CIRRUS_LEVEL = 0.04
#: Relative per-pixel texture of each class.
TEXTURE = np.array([0.02, 0.04, 0.10, 0.05, 0.06, 0.05, 0.14, 0.02], dtype=np.float32)
#: Surface temperature of each class in kelvin (cropland: full canopy; fallow fields are hotter).
ST_KELVIN = np.array([289.5, 291.0, 295.0, 296.0, 306.0, 311.0, 310.0, 265.0], dtype=np.float32)
ST_FALLOW, ST_CLOUD = 311.0, 250.0

SR_SCALE, SR_OFFSET = 2.75e-05, -0.2
ST_SCALE, ST_OFFSET = 0.00341802, 149.0

# QA_PIXEL bits (Collection 2)
FILL, DILATED, CIRRUS_BIT, CLOUD_BIT, SHADOW_BIT, SNOW_BIT, CLEAR, WATER = (1 << i for i in range(8))
CONF_LOW = (1 << 8) | (1 << 10) | (1 << 12) | (1 << 14)  # low confidence for cloud/shadow/snow/cirrus
CLOUD_CONF_MASK, CLOUD_CONF_MED, CLOUD_CONF_HIGH = 3 << 8, 2 << 8, 3 << 8
SHADOW_CONF_HIGH, SNOW_CONF_HIGH, CIRRUS_CONF_HIGH = 3 << 10, 3 << 12, 3 << 14

PARCEL = 27  # cropland parcel side in pixels (~800 m, half a PLSS mile)
STREET = 8  # urban street spacing in pixels
DILATE = 3  # cloud dilation radius in pixels, as CFMask
CLOUD_HEIGHT = 2000.0  # metres, for the shadow displacement
CLOUD_FRACTION, CIRRUS_FRACTION = 0.16, 0.04
FOOTPRINT_TILT = 12.0  # degrees
MAX_COARSE = 2048  # largest side of the reduced-resolution fields


@dataclass
class BlockCounts:
    """Pixel counts accumulated over the blocks, for CLOUD_COVER and the SATURATION_BAND_n flags."""

    valid: int = 0
    cloud: int = 0
    land: int = 0
    land_cloud: int = 0
    saturated: np.ndarray = field(default_factory=lambda: np.zeros(11, dtype=np.int64))

    def add(self, other: BlockCounts) -> None:
        """Add another block's counts to these."""
        self.valid += other.valid
        self.cloud += other.cloud
        self.land += other.land
        self.land_cloud += other.land_cloud
        self.saturated += other.saturated


@dataclass
class Block:
    """One rendered row block: 7 SR bands, ST, QA_PIXEL and QA_RADSAT as uint16 DNs."""

    row0: int
    sr: np.ndarray  # (7, rows, cols)
    st: np.ndarray
    qa_pixel: np.ndarray
    qa_radsat: np.ndarray
    counts: BlockCounts


# ---------------------------------------------------------------------------------------------
# noise helpers


def _axis_weights(n_src: int, n_out: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Source index and weight for bilinear sampling of output cells start..stop (cell centres)."""
    pos = (np.arange(start, stop, dtype=np.float64) + 0.5) * (n_src / n_out) - 0.5
    pos = np.clip(pos, 0.0, n_src - 1.0)
    if n_src == 1:
        return np.zeros(pos.shape, dtype=np.intp), np.zeros(pos.shape, dtype=np.float32)
    i0 = np.minimum(pos.astype(np.intp), n_src - 2)
    return i0, (pos - i0).astype(np.float32)


def resample(
    src: np.ndarray, out_rows: int, out_cols: int, row0: int = 0, row1: int | None = None
) -> np.ndarray:
    """Bilinear resize of ``src`` to ``out_rows`` x ``out_cols``, returning only rows row0..row1."""
    row1 = out_rows if row1 is None else row1
    i0, wr = _axis_weights(src.shape[0], out_rows, row0, row1)
    j0, wc = _axis_weights(src.shape[1], out_cols, 0, out_cols)
    top = src[i0]
    bottom = src[np.minimum(i0 + 1, src.shape[0] - 1)]
    rows = top + (bottom - top) * wr[:, None]
    left = rows[:, j0]
    right = rows[:, np.minimum(j0 + 1, src.shape[1] - 1)]
    right -= left
    right *= wc
    left += right
    return left


def fractal(
    rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int], persistence: float
) -> np.ndarray:
    """Sum of octaves of random lattices (``cells[0]`` .. ``cells[1]`` cells across), zero mean, unit std."""
    h, w = shape
    out = np.zeros(shape, dtype=np.float32)
    amp, n = 1.0, cells[0]
    while n <= cells[1]:
        nr = max(1, round(n * h / max(h, w))) + 1
        nc = max(1, round(n * w / max(h, w))) + 1
        out += amp * resample(rng.standard_normal((nr, nc)).astype(np.float32), h, w)
        amp *= persistence
        n *= 2
    out -= out.mean()
    out /= max(float(out.std()), 1e-6)
    return out


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _hash01(a: np.ndarray, b: np.ndarray, salt: int) -> np.ndarray:
    """Deterministic pseudo-random numbers in [0, 1) from two integer grids (broadcast)."""
    h = (a.astype(np.uint32) * np.uint32(73856093)) ^ (b.astype(np.uint32) * np.uint32(19349663))
    h ^= np.uint32(salt * 83492791 & 0xFFFFFFFF)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0x5BD1E995)
    h ^= h >> np.uint32(15)
    return (h & np.uint32(0xFFFF)).astype(np.float32) / np.float32(65536.0)


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Square binary dilation by ``r`` pixels (separable, edges padded with False)."""
    out = mask.copy()
    for k in range(1, r + 1):
        out[:, k:] |= mask[:, :-k]
        out[:, :-k] |= mask[:, k:]
    rowwise = out.copy()
    for k in range(1, r + 1):
        out[k:] |= rowwise[:-k]
        out[:-k] |= rowwise[k:]
    return out


# ---------------------------------------------------------------------------------------------
# the scene model


class SceneModel:
    """Everything about a demo scene that is not per pixel; ``render(row0, row1)`` makes pixels."""

    def __init__(self, rows: int, cols: int, seed: int, sun_azimuth: float, sun_elevation: float) -> None:
        self.rows, self.cols, self.seed = rows, cols, seed
        rng = np.random.default_rng([seed, 8, 2021])
        f = max(1, math.ceil(max(rows, cols) / MAX_COARSE))
        gh, gw = math.ceil(rows / f), math.ceil(cols / f)
        self.coarse_shape = (gh, gw)
        longest = max(gh, gw)
        fine = max(4, min(256, longest // 6))

        # terrain: a flat valley in the west rising to a NNW-SSE range in the east (Sierra-like)
        yy = (np.arange(gh, dtype=np.float32)[:, None] + 0.5) / gh
        xx = (np.arange(gw, dtype=np.float32)[None, :] + 0.5) / gw
        wobble = fractal(rng, (gh, gw), (2, 4), 0.5)
        across = xx - 0.42 + 0.15 * (yy - 0.5) + 0.05 * wobble
        rise = np.clip(across / 0.5, 0.0, 1.0) ** 1.4
        rough = fractal(rng, (gh, gw), (4, fine), 0.68)
        z = 90.0 + 3700.0 * rise + rough * (40.0 + 1100.0 * rise)
        self.elevation = np.maximum(z, 0.0).astype(np.float32)
        self.moisture = fractal(rng, (gh, gw), (3, fine), 0.6) - 0.6 * (rise < 0.05)
        self.urban = fractal(rng, (gh, gw), (6, fine), 0.5)
        self.urban_cut = float(np.quantile(self.urban[rise < 0.1], 0.93)) if np.any(rise < 0.1) else 9.0
        self.lakes = fractal(rng, (gh, gw), (5, fine), 0.45)
        self.lake_cut = float(np.quantile(self.lakes, 0.975))
        self.bright = fractal(rng, (gh, gw), (8, fine), 0.6)
        clouds = fractal(rng, (gh, gw), (8, fine), 0.6)
        self.cloud_cut = float(np.quantile(clouds, 1 - CLOUD_FRACTION))
        self.clouds = clouds
        cirrus = fractal(rng, (gh, gw), (2, 8), 0.5)
        self.cirrus_cut = float(np.quantile(cirrus, 1 - CIRRUS_FRACTION))
        self.cirrus = cirrus

        # hill shading, with the slopes of the full-size landscape whatever the pixel count
        spacing = 30.0 * f * FULL_SIZE[1] / cols
        dz_dy, dz_dx = np.gradient(self.elevation, spacing)
        az, el = math.radians(sun_azimuth), math.radians(sun_elevation)
        nx, ny = -dz_dx, dz_dy  # north-up: rows grow southwards
        norm = np.sqrt(nx * nx + ny * ny + 1.0)
        illum = (nx * math.sin(az) * math.cos(el) + ny * math.cos(az) * math.cos(el) + math.sin(el)) / norm
        self.shade = np.clip(illum / math.sin(el), 0.35, 1.35).astype(np.float32)

        # a meandering river down the valley
        t = np.linspace(0.0, 1.0, rows, dtype=np.float32)
        meander = sum(
            a * np.sin(2 * np.pi * (k * t + rng.random()))
            for k, a in ((1.3, 0.035), (3.1, 0.015), (7.7, 0.006))
        )
        self.river_col = ((0.30 + meander) * cols).astype(np.float32)
        self.river_half = max(1.0, min(3.0, cols / 600))

        # shadow displacement: away from the sun by cloud height / tan(elevation)
        length = CLOUD_HEIGHT / math.tan(el) / 30.0
        self.shadow_drow = round(math.cos(az) * length)
        self.shadow_dcol = round(-math.sin(az) * length)
        self.halo = DILATE + abs(self.shadow_drow) + 1

        # cropland parcels (a third split in two halves), each with a greenness level 0..15; the
        # extra last row/column of the table is level 0 for the field roads on parcel boundaries
        nfr, nfc = rows // PARCEL + 1, cols // PARCEL + 1
        fr = np.arange(nfr)[:, None]
        fc = np.arange(nfc)[None, :]
        split = _hash01(fr, fc, seed + 11) < 0.35
        table = np.zeros((nfr + 1, 2 * nfc + 1), dtype=np.float32)
        for half in (0, 1):
            table[:nfr, half : 2 * nfc : 2] = _hash01(fr * 2 + (split & bool(half)), fc, seed + 12)
        table = np.where(table < 0.3, table * 0.6, 0.45 + 0.55 * table)
        table[nfr, :] = table[:, 2 * nfc] = 0.0
        self.parcel_level = np.minimum(table * 16, 15).astype(np.uint8)
        r = np.arange(rows)
        self.parcel_row = np.where(r % PARCEL == 0, nfr, r // PARCEL)
        c = np.arange(cols)
        self.parcel_col = np.where(c % PARCEL == 0, 2 * nfc, 2 * (c // PARCEL) + (c % PARCEL >= PARCEL // 2))

        # look-up tables over index = class + 8 * greenness level + 128 * shadow
        levels = (np.arange(16, dtype=np.float32) + 0.5) / 16
        refl = np.zeros((2, 16, 8, 7), dtype=np.float32)
        refl[:, :, :, :] = SPECTRA[None, None]
        refl[:, :, CROPLAND] = FALLOW + levels[:, None] * (SPECTRA[CROPLAND] - FALLOW)
        refl[1] *= SHADOW
        self.sr_lut = np.ascontiguousarray(refl.reshape(256, 7).T / SR_SCALE)
        temp = np.zeros((2, 16, 8), dtype=np.float32)
        temp[:, :, :] = ST_KELVIN
        temp[:, :, CROPLAND] = ST_FALLOW + levels * (ST_KELVIN[CROPLAND] - ST_FALLOW)
        temp[1] -= 4.0
        self.st_lut = temp.reshape(256)

        # tilted Landsat footprint: a rectangle rotated by FOOTPRINT_TILT inside the grid
        th = math.radians(FOOTPRINT_TILT)
        c, s = math.cos(th), math.sin(th)
        margin = max(1.0, 0.003 * min(rows, cols))
        bw, bh = cols - 2 * margin, rows - 2 * margin
        c2 = c * c - s * s
        self.fp_half_w = max(1.0, (bw * c - bh * s) / c2 / 2)
        self.fp_half_h = max(1.0, (bh * c - bw * s) / c2 / 2)
        self.fp_cos, self.fp_sin = c, s

    # ----------------------------------------------------------------------------------------

    def _up(self, coarse: np.ndarray, row0: int, row1: int) -> np.ndarray:
        return resample(coarse, self.rows, self.cols, row0, row1)

    def footprint(self, row0: int, row1: int) -> np.ndarray:
        """True where the tilted scene footprint covers the pixel (rows row0..row1)."""
        dy = (np.arange(row0, row1, dtype=np.float32) + 0.5 - self.rows / 2)[:, None]
        dx = (np.arange(self.cols, dtype=np.float32) + 0.5 - self.cols / 2)[None, :]
        u = dx * self.fp_cos + dy * self.fp_sin
        inside = np.abs(u) <= self.fp_half_w
        v = dy * self.fp_cos - dx * self.fp_sin
        inside &= np.abs(v) <= self.fp_half_h
        return inside

    def classes(self, row0: int, row1: int) -> tuple[np.ndarray, np.ndarray]:
        """Land-cover class (uint8) and elevation (m) of rows row0..row1."""
        z = self._up(self.elevation, row0, row1)
        m = self._up(self.moisture, row0, row1)
        cls = np.full(z.shape, GRASSLAND, dtype=np.uint8)
        cls[(m > -0.1) & (z < 350)] = CROPLAND
        cls[(m < -1.2) & (z < 1500)] = BARE
        cls[(z >= 1000) & (m > -0.7)] = FOREST
        cls[z > 2900 + 200 * m] = BARE
        u = self._up(self.urban, row0, row1)
        cls[(u > self.urban_cut) & (z < 400)] = URBAN
        del u
        cls[z > 3150 + 250 * m] = SNOW
        del m
        lakes = self._up(self.lakes, row0, row1)
        lake = (lakes > self.lake_cut) & (z < 2700)
        cls[lake] = SHALLOW_WATER
        cls[lake & (lakes > self.lake_cut + 0.25)] = DEEP_WATER
        del lakes, lake
        dist = np.abs(np.arange(self.cols, dtype=np.float32)[None, :] - self.river_col[row0:row1, None])
        cls[(dist <= self.river_half) & (z < 800)] = SHALLOW_WATER
        return cls, z

    def render(self, row0: int, row1: int) -> Block:
        """Render rows row0..row1 of every layer."""
        rows, cols = row1 - row0, self.cols
        valid = self.footprint(row0, row1)
        fill = ~valid
        cls, _z = self.classes(row0, row1)
        water = cls <= SHALLOW_WATER

        # clouds (with a halo of rows for dilation and the displaced shadows)
        e0, e1 = max(0, row0 - self.halo), min(self.rows, row1 + self.halo)
        alpha_ext = _smoothstep(self._up(self.clouds, e0, e1), self.cloud_cut - 0.45, self.cloud_cut + 0.45)
        core_ext = alpha_ext >= 0.5
        alpha = alpha_ext[row0 - e0 : row1 - e0]
        cloud = core_ext[row0 - e0 : row1 - e0]
        dilated = _dilate(core_ext, DILATE)[row0 - e0 : row1 - e0] & ~cloud
        shadow = np.zeros((rows, cols), dtype=bool)
        src_r0, src_r1 = row0 - self.shadow_drow, row1 - self.shadow_drow
        lo, hi = max(src_r0, e0), min(src_r1, e1)
        dc = self.shadow_dcol
        if lo < hi and abs(dc) < cols:
            part = core_ext[lo - e0 : hi - e0]
            dst = shadow[lo - src_r0 : hi - src_r0]
            if dc >= 0:
                dst[:, dc:] = part[:, : cols - dc]
            else:
                dst[:, :dc] = part[:, -dc:]
        shadow &= ~cloud
        medium = (alpha >= 0.25) & ~cloud
        cirrus_v = self._up(self.cirrus, row0, row1)
        cirrus = cirrus_v > self.cirrus_cut
        cirrus_a = np.clip((cirrus_v - self.cirrus_cut) / 0.6, 0.0, 1.0)
        del cirrus_v, alpha_ext, core_ext

        # look-up index: class, cropland greenness level, shadow
        crop = cls == CROPLAND
        idx = self.parcel_level[self.parcel_row[row0:row1, None], self.parcel_col[None, :]]
        idx *= crop
        idx <<= 3
        idx += cls
        idx |= shadow.view(np.uint8) << 7

        # shared brightness: texture, smooth variation, hill shading (not on water), urban blocks
        rng = np.random.default_rng([self.seed, 17, row0])
        texture = rng.standard_normal((rows, cols), dtype=np.float32)
        bright = self._up(self.bright, row0, row1)
        mult = TEXTURE[cls]
        mult *= texture
        mult += 1.0
        mult *= 1.0 + 0.07 * bright
        shade = self._up(self.shade, row0, row1)
        np.copyto(shade, 1.0, where=water)
        mult *= shade
        del shade
        urban = cls == URBAN
        if urban.any():
            rsel = np.flatnonzero(urban.any(axis=1))
            csel = np.flatnonzero(urban.any(axis=0))
            r_a, r_b, c_a, c_b = rsel[0], rsel[-1] + 1, csel[0], csel[-1] + 1
            rr = np.arange(row0 + r_a, row0 + r_b)[:, None]
            cc = np.arange(c_a, c_b)[None, :]
            roofs = 0.75 + 0.6 * _hash01(rr // 3, cc // 3, self.seed + 13)
            roofs[((rr % STREET) == 0) | ((cc % STREET) == 0)] = 0.7
            np.copyto(roofs, 1.0, where=~urban[r_a:r_b, c_a:c_b])
            mult[r_a:r_b, c_a:c_b] *= roofs
            del roofs

        # SR as DN = LUT[idx] * mult * (1 - alpha) + CLOUD * haze + 0.2 / s, where haze is the cloud
        # (and thin cirrus, which has the cloud's flat spectrum) in DN per unit of CLOUD reflectance.
        # mult is bounded, so the DNs stay in 7273..~60000 without clipping.
        a_term = mult
        np.clip(a_term, 0.2, 1.6, out=a_term)
        a_term *= 1.0 - alpha
        haze = (0.9 + 0.1 * alpha + 0.03 * texture) * alpha
        haze += CIRRUS_LEVEL * cirrus_a
        haze /= SR_SCALE
        sr = np.empty((7, rows, cols), dtype=np.uint16)
        tmp = np.empty((rows, cols), dtype=np.float32)
        dn = np.empty((rows, cols), dtype=np.float32)
        keep = valid.view(np.uint8)
        for b in range(7):
            np.take(self.sr_lut[b], idx, out=dn)
            dn *= a_term
            np.multiply(haze, CLOUD[b], out=tmp)
            dn += tmp
            dn += 0.5 - SR_OFFSET / SR_SCALE
            out = sr[b]
            np.copyto(out, dn, casting="unsafe")
            out *= keep
        del a_term, haze, tmp, dn

        # surface temperature
        temp = self.st_lut[idx]
        temp += 0.8 * texture
        temp += 1.5 * bright
        temp -= 3.0 * cirrus_a
        temp += (ST_CLOUD + 3.0 * texture - temp) * alpha
        temp -= ST_OFFSET
        temp /= ST_SCALE
        temp += 0.5
        np.clip(temp, 1, 65535, out=temp)
        st = np.empty((rows, cols), dtype=np.uint16)
        np.copyto(st, temp, casting="unsafe")
        st *= keep
        del temp, bright, cirrus_a

        # QA_PIXEL from the masks; confidences: 1 low, 2 medium, 3 high
        snow = (cls == SNOW) & ~cloud
        u16 = np.uint16

        def bits(mask: np.ndarray, shift: int) -> np.ndarray:
            return mask.astype(u16) << u16(shift)

        qa = np.full((rows, cols), CONF_LOW | CLEAR, dtype=np.uint16)
        qa ^= bits(cloud | dilated, 6)  # clear = neither cloud nor dilated cloud
        qa += bits(medium, 8) + bits(cloud, 9)  # cloud confidence 1 -> 2 (medium) or 3 (high)
        qa += bits(shadow, 11) + bits(snow, 13) + bits(cirrus, 15)  # 1 -> 3 (high)
        qa |= bits(dilated, 1) | bits(cirrus, 2) | bits(cloud, 3) | bits(shadow, 4)
        qa |= bits(snow, 5) | bits(water & ~cloud, 7)
        np.copyto(qa, FILL, where=fill)

        # QA_RADSAT: a few saturated pixels in the densest cloud cores and the brightest snow
        radsat = bits((alpha > 0.97) & (texture > 2.6), 0) * u16(0b1111)  # bands 1-4
        radsat |= bits(snow & (texture > 3.0), 0) * u16(0b111)  # bands 1-3
        radsat *= keep

        counts = BlockCounts()
        counts.valid = int(np.count_nonzero(valid))
        counts.cloud = int(np.count_nonzero(cloud & valid))
        land = valid & ~water
        counts.land = int(np.count_nonzero(land))
        counts.land_cloud = int(np.count_nonzero(land & cloud))
        if radsat.any():
            for bit in range(11):
                counts.saturated[bit] = int(np.count_nonzero(radsat & u16(1 << bit)))
        return Block(row0, sr, st, qa, radsat, counts)
