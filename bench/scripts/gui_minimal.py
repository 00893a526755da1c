"""Floor for `satview SCENE --screenshot`: a minimal PySide6 + pyqtgraph script that reads three bands
decimated, stretches them, shows them in a window and saves a screenshot."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
import rasterio
from PySide6.QtWidgets import QApplication

scene, out = sys.argv[1], sys.argv[2]
stem = scene.rsplit("/", 1)[-1][:-4]
app = QApplication([])
pg.setConfigOptions(imageAxisOrder="row-major")
win = pg.GraphicsLayoutWidget()
win.resize(1400, 900)
vb = win.addViewBox(lockAspect=True, invertY=True)
img = pg.ImageItem()
vb.addItem(img)
win.show()
bands = []
with rasterio.Env(GDAL_PAM_ENABLED="NO"):
    for b in ("SR_B4", "SR_B3", "SR_B2"):
        with rasterio.open(f"/vsitar/{scene}/{stem}_{b}.TIF") as ds:
            k = max(ds.width, ds.height) / 1024
            a = ds.read(1, out_shape=(round(ds.height / k), round(ds.width / k)))
        counts = np.bincount(a.ravel(), minlength=65536)
        counts[0] = 0
        cdf = np.cumsum(counts)
        lo, hi = np.searchsorted(cdf, [0.02 * cdf[-1], 0.98 * cdf[-1]])
        lut = np.clip((np.arange(65536, dtype=np.float32) - lo) * (255.0 / max(hi - lo, 1)), 0, 255)
        bands.append(lut.astype(np.uint8)[a])
img.setImage(np.dstack(bands), autoLevels=False, levels=(0, 255))
vb.autoRange()
app.processEvents()
win.grab().save(out)
