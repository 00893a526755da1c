"""Replace one ``## `` section of a Markdown report, so each bench script rewrites only its own part."""

from __future__ import annotations

from pathlib import Path


def replace_section(report: Path, section: str) -> None:
    """Put ``section`` (starting with its ``## `` heading line) in place of the file's section of that
    heading, up to the next ``## `` heading; append it when the file has none."""
    heading = section.split("\n", 1)[0]
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    start = text.find(heading + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(heading))
        text = text[:start] + section.rstrip("\n") + "\n" + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    report.write_text(text, encoding="utf-8")
