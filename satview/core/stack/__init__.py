"""Time and change: stacks of dated scenes of one place, time series, two-date change, animation.

- :mod:`~satview.core.stack.discover` groups scenes into stacks by place and date (headers only);
- :mod:`~satview.core.stack.series` gives per-date statistics of an index or a band;
- :mod:`~satview.core.stack.seaice_series` gives per-date sea-ice extent and area of NSIDC files;
- :mod:`~satview.core.stack.align` puts two dates on one grid, bands matched by meaning;
- :mod:`~satview.core.stack.change` writes the AFTER minus BEFORE difference and its classes;
- :mod:`~satview.core.stack.animate` draws dated frames with one stretch into a GIF or MP4.
"""
