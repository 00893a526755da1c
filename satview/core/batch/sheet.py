"""The batch summaries in the output folder: index.html, contact_sheet.png and footprints.geojson.

Each takes the finished scenes as :class:`SheetItem` values (name, facts, outputs relative to the
output folder) and writes its file atomically. The HTML is plain HTML with inline CSS, the PNG a
Pillow mosaic of the thumbnails with labels, the GeoJSON a FeatureCollection in lon/lat.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satview.core.atomic import atomic_path
from satview.core.threads import run_parallel

INDEX_HTML, CONTACT_SHEET, FOOTPRINTS = "index.html", "contact_sheet.png", "footprints.geojson"
_MAX_SHEET_SIDE = 8192


@dataclass(frozen=True)
class SheetItem:
    """One finished scene: its output stem, source path, main output, thumbnail (or None) and facts."""

    name: str
    path: str
    output: str | None
    thumbnail: str | None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def product_id(self) -> str:
        return str(self.facts.get("product_id") or self.name)

    @property
    def date(self) -> str:
        return str(self.facts.get("acquired") or "")[:10] or "date unknown"

    @property
    def cloud(self) -> str:
        cc = self.facts.get("cloud_cover")
        return f"cloud {cc:.1f} %" if isinstance(cc, (int, float)) and cc >= 0 else "cloud n/a"


def sort_items(items: list[SheetItem]) -> list[SheetItem]:
    """By date (unknown dates last), then product id."""
    return sorted(items, key=lambda it: (it.facts.get("acquired") is None, str(it.facts.get("acquired")),
                                         it.product_id, it.name))


def write_index_html(items: list[SheetItem], out_dir: Path, title: str = "satview batch") -> Path:
    """``index.html``: a thumbnail grid, each with product id, date and cloud cover, linking to its output."""
    cards = []
    for it in sort_items(items):
        link = html.escape(it.output or "", quote=True)
        img = (f'<img src="{html.escape(it.thumbnail, quote=True)}" alt="{html.escape(it.product_id)}">'
               if it.thumbnail else '<div class="noimg">no thumbnail</div>')
        cards.append(
            f'<figure><a href="{link}">{img}</a><figcaption><a href="{link}"><b>{html.escape(it.product_id)}'
            f'</b></a><br>{html.escape(it.date)} · {html.escape(it.cloud)}<br>'
            f'<span class="src" title="{html.escape(it.path, quote=True)}">{html.escape(Path(it.path).name)}'
            '</span></figcaption></figure>')
    body = "\n".join(cards) or "<p>No scene finished.</p>"
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; background: #1e1e1e; color: #ddd; margin: 1em; }}
h1 {{ font-size: 1.2em; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 12px; }}
figure {{ margin: 0; width: 260px; background: #2a2a2a; padding: 6px; border-radius: 4px; }}
figure img {{ max-width: 256px; max-height: 256px; display: block; margin: auto;
  background: repeating-conic-gradient(#333 0% 25%, #3a3a3a 0% 50%) 0 0 / 16px 16px; }}
figcaption {{ font-size: 12px; margin-top: 4px; word-break: break-all; }}
a {{ color: #8cf; }} .src {{ color: #999; }} .noimg {{ height: 64px; color: #888; }}
</style></head>
<body><h1>{html.escape(title)} — {len(items)} scene(s)</h1>
<div class="grid">
{body}
</div></body></html>
"""
    dest = out_dir / INDEX_HTML
    with atomic_path(dest) as tmp:
        tmp.write_text(doc, encoding="utf-8")
    return dest


def write_footprints(items: list[SheetItem], out_dir: Path) -> Path:
    """``footprints.geojson``: one feature per scene (lon/lat footprint, null when unknown) with its facts."""
    features = []
    for it in sort_items(items):
        props = {
            "name": it.name,
            "product_id": it.product_id,
            "acquired": it.facts.get("acquired"),
            "cloud_cover": it.facts.get("cloud_cover"),
            "format": it.facts.get("format"),
            "output": it.output,
            "thumbnail": it.thumbnail,
            "source": it.path,
        }
        features.append({"type": "Feature", "geometry": it.facts.get("footprint"), "properties": props})
    doc = {"type": "FeatureCollection", "name": "satview batch footprints", "features": features}
    dest = out_dir / FOOTPRINTS
    with atomic_path(dest) as tmp:
        tmp.write_text(json.dumps(doc), encoding="utf-8")  # no indent: json's C encoder, 3-5x faster
    return dest


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()


def _fit(draw: Any, text: str, font: Any, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _load_cell(path: Path, cell: int) -> Any:
    """A thumbnail fitted into a ``cell``-pixel square, on the sheet's grey where transparent (RGB)."""
    from PIL import Image

    with Image.open(path) as im:
        thumb = im.convert("RGBA")
    thumb.thumbnail((cell, cell))
    bg = Image.new("RGBA", thumb.size, (45, 45, 45, 255))
    bg.alpha_composite(thumb)
    return bg.convert("RGB")


def write_contact_sheet(items: list[SheetItem], out_dir: Path, cell: int = 256) -> Path | None:
    """``contact_sheet.png``: the thumbnails in a grid with product id, date and cloud cover under each.

    Cells shrink so that the sheet stays within 8192 px a side. Returns None when no item has a thumbnail.
    """
    from PIL import Image, ImageDraw

    items = [it for it in sort_items(items) if it.thumbnail and (out_dir / it.thumbnail).is_file()]
    if not items:
        return None
    n = len(items)
    cols = max(1, min(n, math.ceil(math.sqrt(n * 1.3))))
    rows = math.ceil(n / cols)
    label_lines, pad = 2, 6
    cell = max(64, min(cell, _MAX_SHEET_SIDE // cols - pad, _MAX_SHEET_SIDE // rows - 2 * pad - 30))
    font_px = max(8, min(12, cell // 20))
    label_h = label_lines * (font_px + 3) + 4
    cw, ch = cell + pad, cell + label_h + pad
    sheet = Image.new("RGB", (cols * cw + pad, rows * ch + pad), (30, 30, 30))
    draw = ImageDraw.Draw(sheet)
    font = _font(font_px)
    # Pillow decodes and resizes without the GIL: the thumbnails load on the stretch thread pool
    thumbs = run_parallel(_load_cell, [(out_dir / it.thumbnail, cell) for it in items if it.thumbnail])
    for k, (it, thumb) in enumerate(zip(items, thumbs, strict=True)):
        x0, y0 = pad + (k % cols) * cw, pad + (k // cols) * ch
        sheet.paste(thumb, (x0 + (cell - thumb.width) // 2, y0 + (cell - thumb.height) // 2))
        lines = [it.product_id, f"{it.date}  {it.cloud}"]
        for j, line in enumerate(lines):
            draw.text((x0, y0 + cell + 3 + j * (font_px + 3)), _fit(draw, line, font, cell),
                      fill=(225, 225, 225), font=font)
    import numpy as np

    from satview.core.png import encode_png

    dest = out_dir / CONTACT_SHEET
    data = encode_png(np.moveaxis(np.asarray(sheet), -1, 0))  # quick-looks' encoder: threads, zlib level 1
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return dest


def write_all(items: list[SheetItem], out_dir: Path, title: str) -> list[Path]:
    """All three summaries (the contact sheet only when there are thumbnails); returns the files written."""
    written = [write_index_html(items, out_dir, title), write_footprints(items, out_dir)]
    sheet = write_contact_sheet(items, out_dir)
    if sheet is not None:
        written.append(sheet)
    return written
