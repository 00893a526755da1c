"""satview: fresh full-resolution 1024 x 1024 viewport renders at five places (levels already known)."""

import json
import statistics
import sys
import time

from satview.core import open_scene
from satview.core.render import default_display, display_overview, render_view
from satview.core.viewport import plan_read

with open_scene(sys.argv[1]) as scene:
    spec = default_display(scene.info)
    levels, _, _ = display_overview(scene, spec, 1024)
    times = []
    w, h = scene.width, scene.height
    for fx, fy in ([(0.3, 0.3), (0.6, 0.2), (0.5, 0.55), (0.2, 0.7), (0.7, 0.7)]):
        c0, r0 = int(fx * w), int(fy * h)
        plan = plan_read(w, h, (c0, r0, c0 + 1024, r0 + 1024), (1024, 1024))
        t = time.perf_counter()
        render_view(scene, spec, levels, plan)
        times.append(time.perf_counter() - t)
print(json.dumps({"seconds": statistics.median(times), "max": max(times)}))
