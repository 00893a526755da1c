"""The plain, picklable options of a batch quick-look or clip, and the part of them that names an output."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from satview.core.stretch import Levels, Stretch


@dataclass(frozen=True)
class QuicklookOptions:
    """What each quick-look of a batch draws (see :func:`satview.core.quicklook.write_quicklook`).

    ``stretch`` is the text form (``"2,98"``, ``"minmax"``, ``"stddev:2"``, ``"none"``) or None for
    the default; ``thumb_size`` is the long side of the thumbnail used by the contact sheet.
    """

    preset: str | None = None
    bands: tuple[str, ...] | None = None
    band: str | None = None
    index: str | None = None
    cmap: str | None = None
    size: int = 1024
    stretch: str | None = None
    thumb_size: int = 256

    def parsed_stretch(self) -> Stretch | None:
        """The :class:`Stretch` for ``stretch`` (None: the quick-look default)."""
        return Stretch.parse(self.stretch) if self.stretch else None

    def key(self) -> dict[str, Any]:
        """Everything that changes the output (for the resume manifest)."""
        d = asdict(self)
        d["bands"] = list(self.bands) if self.bands else None
        return d


@dataclass(frozen=True)
class ClipOptions:
    """How each scene of a batch is clipped (see :func:`satview.core.clip.clip_scene`).

    The AOI travels as WKT plus its CRS as WKT, so the task needs no access to the AOI file.
    """

    aoi_wkt: str
    aoi_crs: str
    aoi_name: str | None = None
    bands: tuple[str, ...] | None = None
    all_touched: bool = False
    dst_crs: str | None = None
    cog: bool = False

    def key(self) -> dict[str, Any]:
        """Everything that changes the output (for the resume manifest)."""
        d = asdict(self)
        d["bands"] = list(self.bands) if self.bands else None
        d.pop("aoi_name")
        return d


def levels_key(levels: Levels | None) -> dict[str, Any] | None:
    """Levels as plain numbers (for the resume key): pooled levels change every output they feed."""
    if levels is None:
        return None
    return {"lo": [round(v, 9) for v in levels.lo], "hi": [round(v, 9) for v in levels.hi],
            "gamma": levels.gamma}
