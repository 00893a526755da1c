"""satview's one worker layer: core functions run in worker processes with deadlines, a memory cap,
categorised crash/timeout errors, progress, cancel, priorities and a scene cache.

- :mod:`~satview.workers.pool`: ``WorkerPool`` (on ``pebble``), the client side;
- :mod:`~satview.workers.task`: the worker side (``report_progress``, ``should_cancel``, memory cap);
- :mod:`~satview.workers.declare`: ``@request(...)``, how a function declares its deadline and lane;
- :mod:`~satview.workers.lanes`: the app's three lanes (interactive, background, export);
- what the app asks workers to do lives in the core (:mod:`satview.core.requests`, with the open
  scenes a worker keeps in :mod:`satview.core.scene_cache`): this package imports no ``satview.core``
  module (the preload names them), so the core's batch may run on it without an import cycle;
- :mod:`~satview.workers.preload`: the one list of modules workers import at start.

The package imports nothing heavy itself: importing ``satview.workers.pool`` loads only pebble.
"""
