"""Peer of `satview change --index ndvi`: a straightforward rasterio script for two Landsat C2 L2 tarballs.

    python change_rasterio.py BEFORE.tar AFTER.tar OUT.tif

Reads SR_B4 and SR_B5 of both dates (through /vsitar/), reprojects the AFTER bands onto the BEFORE
grid (bilinear), scales to reflectance, computes NDVI of each, and writes AFTER minus BEFORE as a
float32 GeoTIFF (fill as NaN). No cloud masking: satview's command also reads and decodes QA_PIXEL.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import rasterio
from rasterio.warp import Resampling, reproject


def band(tar: str, name: str) -> str:
    pid = Path(tar).name.removesuffix(".tar")
    return f"/vsitar/{tar}/{pid}_{name}.TIF"


def reflectance(dn: np.ndarray) -> np.ndarray:
    out = dn.astype(np.float32) * np.float32(2.75e-05) - np.float32(0.2)
    out[dn == 0] = np.nan
    return out


def ndvi(nir: np.ndarray, red: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (nir - red) / (nir + red)


def main(before: str, after: str, out: str) -> None:
    with rasterio.open(band(before, "SR_B5")) as ds:
        profile = ds.profile
        nir_b = reflectance(ds.read(1))
    with rasterio.open(band(before, "SR_B4")) as ds:
        red_b = reflectance(ds.read(1))
    aligned = []
    for name in ("SR_B5", "SR_B4"):
        with rasterio.open(band(after, name)) as ds:
            dst = np.full(nir_b.shape, np.nan, np.float32)
            reproject(reflectance(ds.read(1)), dst, src_transform=ds.transform, src_crs=ds.crs,
                      dst_transform=profile["transform"], dst_crs=profile["crs"], src_nodata=np.nan,
                      dst_nodata=np.nan, resampling=Resampling.bilinear)
            aligned.append(dst)
    diff = ndvi(*aligned) - ndvi(nir_b, red_b)
    profile.update(dtype="float32", nodata=np.nan, count=1, driver="GTiff")
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(diff.astype(np.float32), 1)
    print(json.dumps({"compared": int(np.isfinite(diff).sum())}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
