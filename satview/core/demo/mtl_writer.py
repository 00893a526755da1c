"""Write the demo scene's C2 Level-2 MTL like USGS does: ODL (.txt), XML and JSON, same groups and keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import escape

from satview.core.demo import grid as g

BAND_SUFFIXES = (
    "SR_B1",
    "SR_B2",
    "SR_B3",
    "SR_B4",
    "SR_B5",
    "SR_B6",
    "SR_B7",
    "ST_B10",
    "QA_PIXEL",
    "QA_RADSAT",
)


class Q(str):
    """A string value that the ODL file writes in double quotes."""


#: one MTL group: its name and its (key, value) lines; a value is a ``Q`` (quoted) or a raw literal
Group = tuple[str, list[tuple[str, str]]]

_DOI_L2 = "https://doi.org/10.5066/P9OGBGM6"
_DOI_L1 = "https://doi.org/10.5066/P975CC9B"
_ORIGIN = "Image courtesy of the U.S. Geological Survey"
_REQUEST_ID = "P1104dmsv0001_00042"
_D_REF = 1.0080288  # Earth-Sun distance the reference radiance rescaling below belongs to
_RADIANCE_MULT_REF = (
    1.2357e-02,
    1.2653e-02,
    1.1660e-02,
    9.8323e-03,
    6.0168e-03,
    1.4963e-03,
    5.0435e-04,
    1.1127e-02,
    2.3515e-03,
)


@dataclass(frozen=True)
class SceneFacts:
    """The per-scene values of the MTL that come from the generated pixels."""

    rows: int
    cols: int
    cloud_cover: float
    cloud_cover_land: float
    saturated_bands: frozenset[int]  # OLI band numbers with saturated pixels in QA_RADSAT


def file_name(suffix: str, product_id: str = g.DEMO_PRODUCT_ID) -> str:
    """File name of a layer of the demo product, e.g. ``file_name("SR_B4")``."""
    ext = ".txt" if suffix == "MTL" else ".TIF"
    return f"{product_id}_{suffix}{ext}"


def mtl_groups(facts: SceneFacts) -> list[Group]:
    """All groups of the Level-2 MTL, in USGS order, with USGS number formatting."""
    pid, l1 = g.DEMO_PRODUCT_ID, g.DEMO_L1_PRODUCT_ID
    grid = g.demo_grid(facts.rows, facts.cols)
    sun_az, sun_el = g.sun_position(g.ACQUIRED, g.CENTER_LAT, g.CENTER_LON)
    esd = g.earth_sun_distance(g.ACQUIRED)

    contents: list[tuple[str, str]] = [
        ("ORIGIN", Q(_ORIGIN)),
        ("DIGITAL_OBJECT_IDENTIFIER", Q(_DOI_L2)),
        ("LANDSAT_PRODUCT_ID", Q(pid)),
        ("PROCESSING_LEVEL", Q("L2SP")),
        ("COLLECTION_NUMBER", "02"),
        ("COLLECTION_CATEGORY", Q("T1")),
        ("OUTPUT_FORMAT", Q("GEOTIFF")),
    ]
    contents += [(f"FILE_NAME_BAND_{b}", Q(file_name(f"SR_B{b}"))) for b in range(1, 8)]
    contents += [
        ("FILE_NAME_BAND_ST_B10", Q(file_name("ST_B10"))),
        ("FILE_NAME_QUALITY_L1_PIXEL", Q(file_name("QA_PIXEL"))),
        ("FILE_NAME_QUALITY_L1_RADIOMETRIC_SATURATION", Q(file_name("QA_RADSAT"))),
        ("FILE_NAME_METADATA_ODL", Q(f"{pid}_MTL.txt")),
        ("FILE_NAME_METADATA_XML", Q(f"{pid}_MTL.xml")),
    ]
    contents += [(f"DATA_TYPE_BAND_{b}", Q("UINT16")) for b in range(1, 8)]
    contents += [
        ("DATA_TYPE_BAND_ST_B10", Q("UINT16")),
        ("DATA_TYPE_QUALITY_L1_PIXEL", Q("UINT16")),
        ("DATA_TYPE_QUALITY_L1_RADIOMETRIC_SATURATION", Q("UINT16")),
    ]

    image: list[tuple[str, str]] = [
        ("SPACECRAFT_ID", Q("LANDSAT_8")),
        ("SENSOR_ID", Q("OLI_TIRS")),
        ("WRS_TYPE", "2"),
        ("WRS_PATH", str(g.WRS_PATH)),
        ("WRS_ROW", str(g.WRS_ROW)),
        ("NADIR_OFFNADIR", Q("NADIR")),
        ("TARGET_WRS_PATH", str(g.WRS_PATH)),
        ("TARGET_WRS_ROW", str(g.WRS_ROW)),
        ("DATE_ACQUIRED", g.ACQUIRED.strftime("%Y-%m-%d")),
        ("SCENE_CENTER_TIME", Q(g.SCENE_CENTER_TIME)),
        ("STATION_ID", Q("LGN")),
        ("CLOUD_COVER", f"{facts.cloud_cover:.2f}"),
        ("CLOUD_COVER_LAND", f"{facts.cloud_cover_land:.2f}"),
        ("IMAGE_QUALITY_OLI", "9"),
        ("IMAGE_QUALITY_TIRS", "9"),
    ]
    image += [(f"SATURATION_BAND_{b}", Q("Y" if b in facts.saturated_bands else "N")) for b in range(1, 10)]
    image += [
        ("ROLL_ANGLE", "-0.001"),
        ("SUN_AZIMUTH", f"{sun_az:.8f}"),
        ("SUN_ELEVATION", f"{sun_el:.8f}"),
        ("EARTH_SUN_DISTANCE", f"{esd:.7f}"),
        ("TRUNCATION_OLI", Q("UPPER")),
        ("TIRS_SSM_MODEL", Q("FINAL")),
        ("TIRS_SSM_POSITION_STATUS", Q("ESTIMATED")),
    ]

    projection: list[tuple[str, str]] = [
        ("MAP_PROJECTION", Q("UTM")),
        ("DATUM", Q("WGS84")),
        ("ELLIPSOID", Q("WGS84")),
        ("UTM_ZONE", str(g.UTM_ZONE)),
        ("GRID_CELL_SIZE_REFLECTIVE", "30.00"),
        ("GRID_CELL_SIZE_THERMAL", "30.00"),
        ("REFLECTIVE_LINES", str(facts.rows)),
        ("REFLECTIVE_SAMPLES", str(facts.cols)),
        ("THERMAL_LINES", str(facts.rows)),
        ("THERMAL_SAMPLES", str(facts.cols)),
        ("ORIENTATION", Q("NORTH_UP")),
    ]
    latlon, xy = grid.corners_latlon(), grid.corners_xy()
    for corner in ("UL", "UR", "LL", "LR"):
        projection += [
            (f"CORNER_{corner}_LAT_PRODUCT", f"{latlon[corner][0]:.5f}"),
            (f"CORNER_{corner}_LON_PRODUCT", f"{latlon[corner][1]:.5f}"),
        ]
    for corner in ("UL", "UR", "LL", "LR"):
        projection += [
            (f"CORNER_{corner}_PROJECTION_X_PRODUCT", f"{xy[corner][0]:.3f}"),
            (f"CORNER_{corner}_PROJECTION_Y_PRODUCT", f"{xy[corner][1]:.3f}"),
        ]

    l2_record: list[tuple[str, str]] = [
        ("ORIGIN", Q(_ORIGIN)),
        ("DIGITAL_OBJECT_IDENTIFIER", Q(_DOI_L2)),
        ("REQUEST_ID", Q(_REQUEST_ID)),
        ("LANDSAT_PRODUCT_ID", Q(pid)),
        ("PROCESSING_LEVEL", Q("L2SP")),
        ("OUTPUT_FORMAT", Q("GEOTIFF")),
        ("DATE_PRODUCT_GENERATED", g.L2_GENERATED.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("PROCESSING_SOFTWARE_VERSION", Q("LPGS_15.4.0")),
        ("ALGORITHM_SOURCE_SURFACE_REFLECTANCE", Q("LaSRC_1.5.0")),
        ("DATA_SOURCE_OZONE", Q("MODIS")),
        ("DATA_SOURCE_PRESSURE", Q("Calculated")),
        ("DATA_SOURCE_WATER_VAPOR", Q("MODIS")),
        ("DATA_SOURCE_AIR_TEMPERATURE", Q("MODIS")),
        ("ALGORITHM_SOURCE_SURFACE_TEMPERATURE", Q("st_1.3.0")),
        ("DATA_SOURCE_REANALYSIS", Q("GEOS-5 FP-IT")),
    ]

    sr: list[tuple[str, str]] = []
    for b in range(1, 8):
        sr += [(f"REFLECTANCE_MAXIMUM_BAND_{b}", "1.602213"), (f"REFLECTANCE_MINIMUM_BAND_{b}", "-0.199972")]
    for b in range(1, 8):
        sr += [(f"QUANTIZE_CAL_MAX_BAND_{b}", "65535"), (f"QUANTIZE_CAL_MIN_BAND_{b}", "1")]
    sr += [(f"REFLECTANCE_MULT_BAND_{b}", "2.75e-05") for b in range(1, 8)]
    sr += [(f"REFLECTANCE_ADD_BAND_{b}", "-0.2") for b in range(1, 8)]

    st: list[tuple[str, str]] = [
        ("TEMPERATURE_MAXIMUM_BAND_ST_B10", "372.999941"),
        ("TEMPERATURE_MINIMUM_BAND_ST_B10", "149.003418"),
        ("QUANTIZE_CAL_MAXIMUM_BAND_ST_B10", "65535"),
        ("QUANTIZE_CAL_MINIMUM_BAND_ST_B10", "1"),
        ("TEMPERATURE_MULT_BAND_ST_B10", "0.00341802"),
        ("TEMPERATURE_ADD_BAND_ST_B10", "149.0"),
    ]

    l1_record: list[tuple[str, str]] = [
        ("ORIGIN", Q(_ORIGIN)),
        ("DIGITAL_OBJECT_IDENTIFIER", Q(_DOI_L1)),
        ("REQUEST_ID", Q(_REQUEST_ID)),
        ("LANDSAT_SCENE_ID", Q(g.DEMO_SCENE_ID)),
        ("LANDSAT_PRODUCT_ID", Q(l1)),
        ("PROCESSING_LEVEL", Q("L1TP")),
        ("COLLECTION_CATEGORY", Q("T1")),
        ("OUTPUT_FORMAT", Q("GEOTIFF")),
        ("DATE_PRODUCT_GENERATED", g.L1_GENERATED.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("PROCESSING_SOFTWARE_VERSION", Q("LPGS_15.4.0")),
    ]
    l1_record += [(f"FILE_NAME_BAND_{b}", Q(f"{l1}_B{b}.TIF")) for b in range(1, 12)]
    l1_record += [
        ("FILE_NAME_QUALITY_L1_PIXEL", Q(f"{l1}_QA_PIXEL.TIF")),
        ("FILE_NAME_QUALITY_L1_RADIOMETRIC_SATURATION", Q(f"{l1}_QA_RADSAT.TIF")),
        ("FILE_NAME_ANGLE_COEFFICIENT", Q(f"{l1}_ANG.txt")),
        ("FILE_NAME_ANGLE_SENSOR_AZIMUTH_BAND_4", Q(f"{l1}_VAA.TIF")),
        ("FILE_NAME_ANGLE_SENSOR_ZENITH_BAND_4", Q(f"{l1}_VZA.TIF")),
        ("FILE_NAME_ANGLE_SOLAR_AZIMUTH_BAND_4", Q(f"{l1}_SAA.TIF")),
        ("FILE_NAME_ANGLE_SOLAR_ZENITH_BAND_4", Q(f"{l1}_SZA.TIF")),
        ("FILE_NAME_METADATA_ODL", Q(f"{l1}_MTL.txt")),
        ("FILE_NAME_METADATA_XML", Q(f"{l1}_MTL.xml")),
        ("FILE_NAME_CPF", Q("LC08CPF_20210401_20210630_02.02")),
        ("FILE_NAME_BPF_OLI", Q("LO8BPF20210612180415_20210612194112.01")),
        ("FILE_NAME_BPF_TIRS", Q("LT8BPF20210605101522_20210619144732.01")),
        ("FILE_NAME_RLUT", Q("LC08RLUT_20150303_20431231_02_01.h5")),
        ("DATA_SOURCE_TIRS_STRAY_LIGHT_CORRECTION", Q("TIRS")),
        ("DATA_SOURCE_ELEVATION", Q("GLS2000")),
        ("GROUND_CONTROL_POINTS_VERSION", "5"),
        ("GROUND_CONTROL_POINTS_MODEL", "412"),
        ("GEOMETRIC_RMSE_MODEL", "5.212"),
        ("GEOMETRIC_RMSE_MODEL_Y", "3.608"),
        ("GEOMETRIC_RMSE_MODEL_X", "3.761"),
    ]

    # Level-1 radiometric rescaling: reflectance is fixed, radiance scales with 1/d^2
    scale = (_D_REF / esd) ** 2
    rad_mult = [m * scale for m in _RADIANCE_MULT_REF] + [3.3420e-04, 3.3420e-04]
    rad_add = [-m / 2.0e-05 * 0.1 for m in rad_mult[:9]] + [0.1, 0.1]
    radiance: list[tuple[str, str]] = []
    for b in range(11):
        radiance += [
            (f"RADIANCE_MAXIMUM_BAND_{b + 1}", f"{rad_mult[b] * 65535 + rad_add[b]:.5f}"),
            (f"RADIANCE_MINIMUM_BAND_{b + 1}", f"{rad_mult[b] + rad_add[b]:.5f}"),
        ]
    reflectance: list[tuple[str, str]] = []
    for b in range(1, 10):
        reflectance += [
            (f"REFLECTANCE_MAXIMUM_BAND_{b}", "1.210700"),
            (f"REFLECTANCE_MINIMUM_BAND_{b}", "-0.099980"),
        ]
    pixel: list[tuple[str, str]] = []
    for b in range(1, 12):
        pixel += [(f"QUANTIZE_CAL_MAX_BAND_{b}", "65535"), (f"QUANTIZE_CAL_MIN_BAND_{b}", "1")]
    rescaling = [(f"RADIANCE_MULT_BAND_{b + 1}", f"{rad_mult[b]:.4E}") for b in range(11)]
    rescaling += [(f"RADIANCE_ADD_BAND_{b + 1}", f"{rad_add[b]:.5f}") for b in range(11)]
    rescaling += [(f"REFLECTANCE_MULT_BAND_{b}", "2.0000E-05") for b in range(1, 10)]
    rescaling += [(f"REFLECTANCE_ADD_BAND_{b}", "-0.100000") for b in range(1, 10)]
    thermal = [
        ("K1_CONSTANT_BAND_10", "774.8853"),
        ("K2_CONSTANT_BAND_10", "1321.0789"),
        ("K1_CONSTANT_BAND_11", "480.8883"),
        ("K2_CONSTANT_BAND_11", "1201.1442"),
    ]
    l1_projection = [
        ("MAP_PROJECTION", Q("UTM")),
        ("DATUM", Q("WGS84")),
        ("ELLIPSOID", Q("WGS84")),
        ("UTM_ZONE", str(g.UTM_ZONE)),
        ("GRID_CELL_SIZE_PANCHROMATIC", "15.00"),
        ("GRID_CELL_SIZE_REFLECTIVE", "30.00"),
        ("GRID_CELL_SIZE_THERMAL", "30.00"),
        ("ORIENTATION", Q("NORTH_UP")),
        ("RESAMPLING_OPTION", Q("CUBIC_CONVOLUTION")),
    ]
    return [
        ("PRODUCT_CONTENTS", contents),
        ("IMAGE_ATTRIBUTES", image),
        ("PROJECTION_ATTRIBUTES", projection),
        ("LEVEL2_PROCESSING_RECORD", l2_record),
        ("LEVEL2_SURFACE_REFLECTANCE_PARAMETERS", sr),
        ("LEVEL2_SURFACE_TEMPERATURE_PARAMETERS", st),
        ("LEVEL1_PROCESSING_RECORD", l1_record),
        ("LEVEL1_MIN_MAX_RADIANCE", radiance),
        ("LEVEL1_MIN_MAX_REFLECTANCE", reflectance),
        ("LEVEL1_MIN_MAX_PIXEL_VALUE", pixel),
        ("LEVEL1_RADIOMETRIC_RESCALING", rescaling),
        ("LEVEL1_THERMAL_CONSTANTS", thermal),
        ("LEVEL1_PROJECTION_PARAMETERS", l1_projection),
    ]


ROOT = "LANDSAT_METADATA_FILE"


def to_odl(groups: list[Group]) -> str:
    """The MTL.txt text: ``GROUP = NAME`` blocks, 2 spaces per level, quoted strings, final ``END``."""
    lines = [f"GROUP = {ROOT}"]
    for name, items in groups:
        lines.append(f"  GROUP = {name}")
        for key, value in items:
            text = f'"{value}"' if isinstance(value, Q) else value
            lines.append(f"    {key} = {text}")
        lines.append(f"  END_GROUP = {name}")
    lines += [f"END_GROUP = {ROOT}", "END", ""]
    return "\n".join(lines)


def to_xml(groups: list[Group]) -> str:
    """The MTL.xml text: one element per group and per key, 2 spaces per level."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{ROOT}>"]
    for name, items in groups:
        lines.append(f"  <{name}>")
        lines += [f"    <{key}>{escape(str(value))}</{key}>" for key, value in items]
        lines.append(f"  </{name}>")
    lines += [f"</{ROOT}>", ""]
    return "\n".join(lines)


def to_json(groups: list[Group]) -> str:
    """The MTL.json text: nested objects, every value a string (as USGS writes them)."""
    tree = {ROOT: {name: {key: str(value) for key, value in items} for name, items in groups}}
    return json.dumps(tree, indent=2) + "\n"
