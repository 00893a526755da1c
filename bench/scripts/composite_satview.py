"""satview: open a scene and make its first composite (decimated read + stretch + uint8 RGBA)."""

import json
import sys
import time

from satview.core import open_scene
from satview.core.render import default_display, display_overview

t0 = time.perf_counter()
with open_scene(sys.argv[1]) as scene:
    t_open = time.perf_counter()
    spec = default_display(scene.info)
    levels, hist, result = display_overview(scene, spec, 1024)
    seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "open": t_open - t0, "shape": list(result.rgba.shape)}))
