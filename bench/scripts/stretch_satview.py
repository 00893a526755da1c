"""satview stretch alone: levels + uint8 mapping of 3 bands, decimated (~1024 px) and full resolution."""

import json
import sys
import time

import numpy as np

from satview.core import open_scene
from satview.core.stretch import Stretch, apply_levels, compute_levels

with open_scene(sys.argv[1]) as scene:
    names = ["SR_B4", "SR_B3", "SR_B2"]
    small = scene.read(names, out_shape=(1024, 1007), dn=True)
    full = scene.read(names, dn=True) if "--full" in sys.argv else None
result = {}
for label, data in (("decimated", small), ("full", full)):
    if data is None:
        continue
    valid = data != 0
    t = time.perf_counter()
    levels = compute_levels(data, Stretch(), valid)
    apply_levels(data, levels, valid)
    result[label] = time.perf_counter() - t
result["seconds"] = result["decimated"]
print(json.dumps(result))
np.seterr(all="ignore")
