"""satview: open a scene, then make its first composite (decimated read + stretch + uint8 RGBA).

``seconds`` is the composite alone (what the floor script does: three decimated reads and a
histogram stretch); ``open`` is opening the scene (tar listing, MTL, band headers) before it.
"""

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
    seconds = time.perf_counter() - t_open
print(json.dumps({"seconds": seconds, "open": t_open - t0, "shape": list(result.rgba.shape)}))
