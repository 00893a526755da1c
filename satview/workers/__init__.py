"""satview's one worker layer: core functions run in worker processes with deadlines, a memory cap,
categorised crash/timeout errors, progress, cancel, priorities and a scene cache.

- :mod:`~satview.workers.pool`: ``WorkerPool`` (on ``pebble``), the client side;
- :mod:`~satview.workers.task`: the worker side (``report_progress``, ``should_cancel``, memory cap);
- :mod:`~satview.workers.declare`: ``@request(...)``, how a function declares its deadline and lane;
- :mod:`~satview.workers.lanes`: the app's three lanes (interactive, background, export);
- :mod:`~satview.workers.requests` and :mod:`~satview.workers.scenes`: what the app and the CLI ask
  workers to do, and the open scenes a worker keeps;
- :mod:`~satview.workers.preload`: the one list of modules workers import at start.

The package imports nothing heavy itself: importing ``satview.workers.pool`` loads only pebble.
"""
