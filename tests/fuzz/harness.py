"""Coverage-guided fuzzing of one target with atheris (libFuzzer).

    python tests/fuzz/harness.py TARGET CORPUS [--findings=DIR] [libFuzzer flags]


satview's modules are imported under atheris' instrumentation, so libFuzzer sees which branches an
input reaches and keeps inputs that reach new ones. An exception outside the target's contract, or
an input taking over :data:`SLOW_S` seconds of CPU, is not fatal here: it is saved under ``--findings``
(``FINDINGS/TARGET/<kind>-<sha1>``, with the traceback beside it) and fuzzing goes on, so one run
reports every distinct bug. Memory (``-rss_limit_mb``) and hangs (``-timeout``) stay libFuzzer's.
An empty ``CORPUS`` folder is first filled with the target's seeds.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import atheris

#: Inputs taking more CPU time than this (seconds) are findings. CPU time, not wall clock: the
#: fuzzer runs at nice 10 on a shared machine, where a waiting process is not a slow parser.
SLOW_S = 1.0


def _signature(exc: BaseException) -> str:
    """Exception type and the innermost satview frame: one bug, however many inputs reach it."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/satview/" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__}@{where}"


def _save(folder: Path, kind: str, data: bytes, note: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{kind}-{hashlib.sha1(data).hexdigest()[:12]}"
    (folder / name).write_bytes(data)
    (folder / f"{name}.txt").write_text(note, encoding="utf-8")


def main(argv: list[str]) -> None:
    name, corpus = argv[1], Path(argv[2])
    findings = Path("fuzz-findings")
    rest = []
    for arg in argv[3:]:
        if arg.startswith("--findings="):
            findings = Path(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    with atheris.instrument_imports(include=["satview"]):
        from fuzz.targets import TARGETS

        target = TARGETS[name]
        corpus.mkdir(parents=True, exist_ok=True)
        if not any(corpus.iterdir()):
            for seed in target.seeds():
                (corpus / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        for seed in sorted(corpus.iterdir())[:1]:  # imports every module the target uses, instrumented
            with contextlib.suppress(Exception):  # only warming the imports; the fuzz loop judges inputs
                target.run(seed.read_bytes())
    out = findings / name
    seen: set[str] = set()

    def one_input(data: bytes) -> None:
        start = time.process_time()
        try:
            target.run(data)
        except target.allowed:
            pass
        except Exception as exc:  # any other exception is the finding being recorded
            sig = _signature(exc)
            if sig not in seen:
                seen.add(sig)
                _save(out, "crash", data, f"{sig}\n{''.join(traceback.format_exception(exc))}")
                print(f"FINDING {sig}", file=sys.stderr, flush=True)
        took = time.process_time() - start
        if took > SLOW_S:
            _save(out, "slow", data, f"{took:.2f} s of CPU\n")
            print(f"SLOW {took:.2f} s of CPU", file=sys.stderr, flush=True)

    atheris.Setup([argv[0], str(corpus), f"-max_len={target.max_len}", *rest], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
