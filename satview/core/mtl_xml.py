"""Parse Landsat C2 MTL ``.xml`` and ESPA ``.xml`` metadata into the :class:`~satview.core.mtl_model.MTL`
model.

A pull parser reads what it can of cut-off documents; ESPA metadata is mapped onto MTL-style groups
so the Landsat code reads both the same way.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from satview.core.mtl_model import MTL, has_mtl_keys
from satview.core.odl import MAX_DEPTH, convert_value

__all__ = ["parse_xml"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def parse_xml(text: str, label: str | None) -> MTL:
    warnings: list[str] = []
    parser = ET.XMLPullParser(events=("start", "end"))
    stack: list[list[Any]] = []  # [tag, dict, element, has_children]
    top: dict[str, Any] = {}
    root_elem: ET.Element | None = None
    error: str | None = None
    try:
        parser.feed(text)
        parser.close()
    except ET.ParseError as exc:
        error = str(exc)
    try:
        for event, elem in parser.read_events():
            if event == "start":
                if root_elem is None:
                    root_elem = elem
                if stack:
                    stack[-1][3] = True
                if len(stack) == MAX_DEPTH:
                    warnings.append("XML elements nested too deeply; their content is ignored")
                stack.append([_local(elem.tag), {}, elem, False])
            else:
                tag, node, el, has_children = stack.pop()
                if len(stack) < MAX_DEPTH:
                    parent = stack[-1][1] if stack else top
                    _attach(parent, tag, node, el, has_children)
                if stack:  # free memory of finished leaves
                    el.clear()
    except ET.ParseError as exc:  # the parser queues its error after the events it could read
        error = error or str(exc)
    if error:
        if stack:
            warnings.append(f"the XML document is cut off or damaged ({error}); read what could be read")
        else:
            warnings.append(f"ignored damaged text after the XML document ({error})")
    while stack:  # attach the groups that were still open when the text ended
        tag, node, el, has_children = stack.pop()
        parent = stack[-1][1] if stack else top
        if len(stack) < MAX_DEPTH and (node or el.attrib):
            _attach(parent, tag, node, el, True)
    if root_elem is None or not top:
        return MTL(root="", groups={}, warnings=warnings, source=label, format="xml")
    root_name = next(iter(top))
    content = top[root_name] if isinstance(top[root_name], dict) else {}
    if root_name == "espa_metadata":
        return _espa_to_mtl(content, warnings, label)
    if not has_mtl_keys(content):
        return MTL(root="", groups={}, warnings=warnings, source=label, format="xml")
    return MTL(root=root_name, groups=content, warnings=warnings, source=label, format="xml")


def _attach(
    parent: dict[str, Any], tag: str, node: dict[str, Any], el: ET.Element, has_children: bool
) -> None:
    if has_children or node:
        for k, v in el.attrib.items():
            node.setdefault(f"@{_local(k)}", convert_value(v))
        value: Any = node
    elif el.attrib and not (el.text or "").strip():
        value = {f"@{_local(k)}": convert_value(v) for k, v in el.attrib.items()}
    else:
        value = convert_value(el.text or "")
    if tag in parent:  # repeated elements (ESPA <band>, <corner>) become lists
        existing = parent[tag]
        if isinstance(existing, list) and getattr(existing, "_repeat", False):
            existing.append(value)
        else:
            lst = _RepeatList([existing, value])
            parent[tag] = lst
    else:
        parent[tag] = value


class _RepeatList(list):  # type: ignore[type-arg]
    """A list made from repeated XML elements (distinguishes them from list values)."""

    _repeat = True


def _espa_to_mtl(content: dict[str, Any], warnings: list[str], label: str | None) -> MTL:
    """Map ESPA global metadata onto MTL-style groups, so the Landsat code reads it unchanged."""
    g = content.get("global_metadata")
    g = g if isinstance(g, dict) else {}
    info: dict[str, Any] = {}
    product_id = g.get("product_id")
    if isinstance(product_id, str) and product_id:
        info["LANDSAT_PRODUCT_ID"] = product_id
    mtl_name = g.get("lpgs_metadata_file")
    if isinstance(mtl_name, str) and mtl_name:
        stem = re.sub(r"_MTL\.\w+$", "", mtl_name, flags=re.IGNORECASE)
        if re.fullmatch(r"L[COTEM]\d{14}[A-Z]{3}\d{2}", stem):
            info["LANDSAT_SCENE_ID"] = stem
    if "level1_production_date" in g:
        info["FILE_DATE"] = str(g["level1_production_date"])
    meta: dict[str, Any] = {}
    for src, dst in (("satellite", "SPACECRAFT_ID"), ("instrument", "SENSOR_ID")):
        if src in g:
            meta[dst] = g[src]
    wrs = g.get("wrs")
    if isinstance(wrs, dict):
        for src, dst in (("@path", "WRS_PATH"), ("@row", "WRS_ROW")):
            if src in wrs:
                meta[dst] = wrs[src]
    for src, dst in (("acquisition_date", "DATE_ACQUIRED"), ("scene_center_time", "SCENE_CENTER_TIME")):
        if src in g:
            meta[dst] = str(g[src])
    attrs: dict[str, Any] = {}
    sun = g.get("solar_angles")
    if isinstance(sun, dict):
        zen = sun.get("@zenith")
        if isinstance(zen, (int, float)):
            attrs["SUN_ELEVATION"] = 90.0 - float(zen)
        if isinstance(sun.get("@azimuth"), (int, float)):
            attrs["SUN_AZIMUTH"] = float(sun["@azimuth"])
    if isinstance(g.get("earth_sun_distance"), (int, float)):
        attrs["EARTH_SUN_DISTANCE"] = g["earth_sun_distance"]
    proj: dict[str, Any] = {}
    pinfo = g.get("projection_information")
    if isinstance(pinfo, dict):
        if "@projection" in pinfo:
            proj["MAP_PROJECTION"] = pinfo["@projection"]
        if "@datum" in pinfo:
            proj["DATUM"] = pinfo["@datum"]
        utm = pinfo.get("utm_proj_params")
        if isinstance(utm, dict) and "zone_code" in utm:
            proj["UTM_ZONE"] = utm["zone_code"]
    bands: dict[str, Any] = {}
    raw_bands = content.get("bands")
    band_list = raw_bands.get("band") if isinstance(raw_bands, dict) else None
    if isinstance(band_list, dict):
        band_list = [band_list]
    for b in band_list or []:
        if isinstance(b, dict) and isinstance(b.get("file_name"), str):
            bands[str(b.get("@name", b["file_name"]))] = b["file_name"]
    groups: dict[str, Any] = {
        "METADATA_FILE_INFO": info,
        "PRODUCT_METADATA": meta,
        "IMAGE_ATTRIBUTES": attrs,
        "PROJECTION_PARAMETERS": proj,
        "ESPA_BANDS": bands,
        "ESPA_METADATA": content,
    }
    if not (info or meta or attrs):
        warnings.append("ESPA metadata without global scene facts")
    return MTL(root="espa_metadata", groups=groups, warnings=warnings, source=label, format="espa")
