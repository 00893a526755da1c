"""Long session of the Python API (issue 15, item 3): ``--n`` times
``with satview.open(path) as s: s.read(...)`` over the real samples, in one process that measures
itself from /proc (driven by ``bench/long_session.py``). Prints one JSON line: the state after the
100th call (the middle one for short runs) and after the last, and the errors met."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))


def main(argv: list[str] | None = None) -> int:
    """See the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--tmp", required=True)
    a = ap.parse_args(argv)
    import long_session
    import monkey

    import satview
    from satview.errors import SatviewError

    paths = [p for p in monkey.real_inputs()["scenes"] if not p.endswith("_MTL.txt")]
    pid = os.getpid()
    ref_at = min(100, max(1, a.n // 2))
    ref = None
    errors: dict[str, str] = {}
    for i in range(a.n):
        path = paths[i % len(paths)]
        try:
            with satview.open(path) as s:
                s.read(s.band_names[:1], out_shape=(32, 32))
        except SatviewError as exc:
            errors[os.path.basename(path)] = str(exc)[:200]
        if i + 1 == ref_at:
            ref = long_session.sample(pid, a.tmp)
    last = long_session.sample(pid, a.tmp)
    assert ref is not None
    print(json.dumps({"calls": a.n, "reference_call": ref_at, "at_reference": ref, "at_last": last,
                      "rss_growth_mb": round(last["rss_mb"] - ref["rss_mb"], 1),
                      "fd_growth": last["fds"] - ref["fds"],
                      "thread_growth": last["threads"] - ref["threads"],
                      "children": last["children"], "temp_entries": last["temp_entries"],
                      "files_that_failed": len(errors), "errors_sample": dict(list(errors.items())[:5])}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
