"""Contrast stretch: histogram percentiles match np.percentile, fill is excluded, mapping is exact."""

from __future__ import annotations

import numpy as np
import pytest

from satview.core import band_stats as bs
from satview.core import stretch as st
from satview.core.stretch import (
    Levels,
    Stretch,
    StretchParseError,
    apply_levels,
    compute_levels,
    stretch_to_uint8,
    valid_mask,
)
from satview.errors import SatviewError

RNG = np.random.default_rng(42)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16])
@pytest.mark.parametrize(("low", "high"), [(2.0, 98.0), (0.5, 99.5), (0.0, 100.0), (13.7, 61.1)])
def test_integer_percentiles_equal_numpy(dtype: type, low: float, high: float) -> None:
    """For ≤ 16-bit integers the bincount percentiles equal np.percentile exactly, band by band."""
    info = np.iinfo(dtype)
    data = RNG.integers(info.min, info.max, size=(3, 37, 53), dtype=dtype, endpoint=True)
    lv = compute_levels(data, Stretch(low=low, high=high))
    np.testing.assert_allclose(lv.lo, np.percentile(data, low, axis=(1, 2)), rtol=0, atol=1e-9)
    np.testing.assert_allclose(lv.hi, np.percentile(data, high, axis=(1, 2)), rtol=0, atol=1e-9)


def test_float_percentiles_with_nan_inf_equal_numpy() -> None:
    """Float percentiles (histogram + refinement) equal np.nanpercentile with NaN/inf excluded."""
    data = RNG.normal(1000.0, 50.0, size=(2, 120, 90)).astype(np.float32)
    data[0, :10] = np.nan
    data[1, 5, 5] = np.inf
    data[1, 6, 6] = -np.inf
    clean = np.where(np.isfinite(data), data, np.nan)
    for low, high in [(2.0, 98.0), (1.0, 99.0), (25.0, 75.0)]:
        lv = compute_levels(data, Stretch(low=low, high=high))
        expect_lo = np.nanpercentile(clean.astype(np.float64), low, axis=(1, 2))
        expect_hi = np.nanpercentile(clean.astype(np.float64), high, axis=(1, 2))
        np.testing.assert_allclose(lv.lo, expect_lo, rtol=1e-6)
        np.testing.assert_allclose(lv.hi, expect_hi, rtol=1e-6)


def test_float_percentiles_with_outlier_stay_exact() -> None:
    """One huge outlier (coarse bins) does not spoil the percentiles: refinement sorts inside bins."""
    data = RNG.random((1, 200, 200)).astype(np.float32)
    data[0, 0, 0] = 1e9
    lv = compute_levels(data, Stretch(low=2, high=98))
    assert lv.lo[0] == pytest.approx(np.percentile(data, 2), rel=1e-6)
    assert lv.hi[0] == pytest.approx(np.percentile(data, 98), rel=1e-6)


def test_float64_and_int32_take_the_float_path() -> None:
    """Wide types (float64, int32) get percentiles equal to np.percentile too."""
    f64 = RNG.random((1, 50, 60)) * 1e-3 + 5.0
    i32 = RNG.integers(-(10**8), 10**8, size=(1, 50, 60), dtype=np.int32)
    for data in (f64, i32):
        lv = compute_levels(data, Stretch(low=5, high=95))
        assert lv.lo[0] == pytest.approx(np.percentile(data, 5), rel=1e-9)
        assert lv.hi[0] == pytest.approx(np.percentile(data, 95), rel=1e-9)


def test_huge_bin_is_interpolated_within_bin_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without refinement (bins too full) the error stays below one bin: range / 16384 < range / 4096."""
    monkeypatch.setattr(bs, "_REFINE_MAX", 0)
    data = RNG.random((1, 300, 300)).astype(np.float32)
    lv = compute_levels(data, Stretch(low=2, high=98))
    rng_ = float(data.max() - data.min())
    assert abs(lv.lo[0] - np.percentile(data, 2)) < rng_ / 4096
    assert abs(lv.hi[0] - np.percentile(data, 98)) < rng_ / 4096


def test_fill_excluded_by_shared_and_per_band_masks() -> None:
    """Pixels where ``valid`` is False (2-D shared or 3-D per band) do not count toward the limits."""
    data = RNG.integers(100, 200, size=(2, 40, 40), dtype=np.uint16)
    data[:, :, :10] = 0  # fill
    valid = data[0] != 0
    lv = compute_levels(data, Stretch(mode="minmax"), valid)
    assert min(lv.lo) >= 100
    lv2 = compute_levels(data, Stretch(low=2, high=98), np.stack([valid, valid]))
    expect = [np.percentile(data[b][valid], 2) for b in range(2)]
    np.testing.assert_allclose(lv2.lo, expect)
    assert "1,200 valid pixels" in lv2.source


def test_all_invalid_band_gives_zero_limits() -> None:
    """A band with no valid pixels gets lo = hi = 0, says so in the source, and maps to 0 (no crash)."""
    data = RNG.random((2, 20, 20)).astype(np.float32)
    data[1] = np.nan
    lv = compute_levels(data, Stretch())
    assert lv.lo[1] == 0.0 and lv.hi[1] == 0.0
    assert "no valid pixels in band 2" in lv.source
    out = apply_levels(data, lv)
    assert out[1].max() == 0
    ints = np.zeros((1, 5, 5), np.uint16)
    assert compute_levels(ints, Stretch(), np.zeros((5, 5), bool)).lo == (0.0,)


def test_constant_band() -> None:
    """A constant band gets lo = hi = value and is drawn mid-grey (128), not garbage."""
    data = np.full((1, 8, 8), 77, np.uint16)
    lv = compute_levels(data, Stretch())
    assert lv.lo == lv.hi == (77.0,)
    assert (apply_levels(data, lv) == 128).all()
    fdata = np.full((8, 8), 0.25, np.float32)
    assert (apply_levels(fdata, compute_levels(fdata)) == 128).all()


def test_mostly_constant_band_falls_back_to_minmax() -> None:
    """When the percentile limits collapse (98 % zeros) the valid min-max is used instead."""
    data = np.zeros((1, 100, 100), np.uint8)
    data[0, 0, :50] = 200
    lv = compute_levels(data, Stretch())
    assert (lv.lo[0], lv.hi[0]) == (0.0, 200.0)


def test_linked_levels_are_pooled() -> None:
    """Linked stretch gives every band the same limits, the percentiles of all bands pooled."""
    data = np.stack([RNG.integers(0, 100, (30, 30)), RNG.integers(500, 900, (30, 30))]).astype(np.uint16)
    lv = compute_levels(data, Stretch(low=2, high=98, linked=True))
    assert lv.lo[0] == lv.lo[1] == pytest.approx(np.percentile(data, 2))
    assert lv.hi[0] == lv.hi[1] == pytest.approx(np.percentile(data, 98))
    assert "pooled" in lv.source


def test_minmax_and_stddev() -> None:
    """minmax gives the valid range; stddev gives mean ± n·std clipped to that range."""
    data = RNG.normal(10, 2, size=(1, 100, 100)).astype(np.float32)
    lv = compute_levels(data, Stretch(mode="minmax"))
    assert lv.lo[0] == pytest.approx(float(data.min())) and lv.hi[0] == pytest.approx(float(data.max()))
    lv = compute_levels(data, Stretch(mode="stddev", n_std=1.5))
    mean, std = float(data.mean(dtype=np.float64)), float(data.std(dtype=np.float64))
    assert lv.lo[0] == pytest.approx(mean - 1.5 * std, rel=1e-5)
    assert lv.hi[0] == pytest.approx(mean + 1.5 * std, rel=1e-5)
    ints = RNG.integers(0, 1000, size=(1, 50, 50), dtype=np.uint16)
    lv = compute_levels(ints, Stretch(mode="stddev", n_std=100))  # clipped to the data range
    assert (lv.lo[0], lv.hi[0]) == (float(ints.min()), float(ints.max()))


def test_none_mode_uses_natural_range() -> None:
    """Stretch 'none' maps uint8 0..255 to itself."""
    data = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    out, lv = stretch_to_uint8(data, Stretch(mode="none"))
    assert (lv.lo[0], lv.hi[0]) == (0.0, 255.0)
    assert np.array_equal(out, data)


def test_source_names_mode_and_pixel_count() -> None:
    """The levels' source tells the user the method and how many pixels the statistics used."""
    data = RNG.integers(0, 4000, size=(3, 1000, 1235), dtype=np.uint16)
    lv = compute_levels(data, Stretch(low=2, high=98))
    assert lv.source == "percentile 2-98 % of 1,235,000 valid pixels"


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16])
@pytest.mark.parametrize("gamma", [1.0, 0.7, 2.2])
def test_lut_path_equals_float_path(dtype: type, gamma: float) -> None:
    """The integer lookup-table path gives the same bytes as the float32 path (±1 with gamma)."""
    info = np.iinfo(dtype)
    data = RNG.integers(info.min, info.max, size=(300, 301), dtype=dtype, endpoint=True)
    lo, hi = float(np.percentile(data, 5)), float(np.percentile(data, 90))
    lut_out = np.empty(data.shape, np.uint8)
    st._map_chunk(data, lut_out, None, lo, hi, gamma, st._lut(data.dtype, lo, hi, gamma))
    float_out = np.empty(data.shape, np.uint8)
    st._map_chunk(data, float_out, None, lo, hi, gamma, None)
    diff = np.abs(lut_out.astype(int) - float_out.astype(int))
    assert diff.max() <= (0 if gamma == 1.0 else 1)
    assert st._uses_lut(data.dtype, gamma)


def test_apply_levels_linear_mapping_and_clipping() -> None:
    """lo -> 0, hi -> 255, midpoint -> 128, values outside are clipped; gamma > 1 brightens."""
    data = np.array([[[0.0, 10.0, 15.0, 20.0, 30.0]]], np.float32)
    lv = Levels((10.0,), (20.0,), 1.0, "test")
    assert apply_levels(data, lv).tolist() == [[[0, 0, 128, 255, 255]]]
    bright = apply_levels(data, Levels((10.0,), (20.0,), 2.0, "test"))
    assert bright[0, 0, 2] == round(255 * 0.5**0.5)
    ints = np.array([[0, 10, 15, 20, 30]], np.uint16)
    assert apply_levels(ints, lv).tolist() == [[[0, 0, 128, 255, 255]]]


def test_apply_levels_invalid_pixels_are_zero_and_valid_mask() -> None:
    """NaN/inf and valid == False pixels become 0; valid_mask is True only where every band is valid."""
    data = np.full((3, 2, 3), 5.0, np.float32)
    data[0, 0, 0] = np.nan
    data[1, 0, 1] = np.inf
    valid = np.ones((2, 3), bool)
    valid[1, 2] = False
    lv = Levels((0.0,), (10.0,), 1.0, "")
    out = apply_levels(data, lv, valid)
    assert out.dtype == np.uint8 and out.shape == (3, 2, 3)
    assert out[0, 0, 0] == 0 and out[1, 0, 1] == 0 and (out[:, 1, 2] == 0).all()
    assert out[2, 0, 0] == 128
    expect = np.array([[False, False, True], [True, True, False]])
    assert np.array_equal(valid_mask(data, valid), expect)


def test_large_array_is_chunked_consistently() -> None:
    """A multi-chunk array gives the same result as mapping it in one go (threads don't mix rows)."""
    data = RNG.integers(0, 65535, size=(2, 1500, 700), dtype=np.uint16)
    lv = compute_levels(data)
    out = apply_levels(data, lv)
    for b in range(2):
        expect = np.empty(data.shape[1:], np.uint8)
        st._map_chunk(data[b], expect, None, lv.lo[b], lv.hi[b], 1.0, None)
        assert np.array_equal(out[b], expect)


def test_big_endian_and_2d_input() -> None:
    """Big-endian data (as HDF may give) and 2-D arrays work and match the native 3-D result."""
    native = RNG.integers(0, 5000, size=(1, 30, 40), dtype=np.uint16)
    swapped = native.astype(">u2")
    assert compute_levels(swapped) == compute_levels(native) == compute_levels(native[0])
    lv = compute_levels(native)
    assert np.array_equal(apply_levels(swapped, lv), apply_levels(native[0], lv))


def test_parse() -> None:
    """CLI strings: 'LO,HI' percentiles, 'minmax', 'stddev[:N]', 'none'; bad text -> ValueError."""
    assert Stretch.parse("2,98") == Stretch(mode="percentile", low=2, high=98)
    assert Stretch.parse(" 0.5, 99.5 ") == Stretch(low=0.5, high=99.5)
    assert Stretch.parse("minmax").mode == "minmax"
    assert Stretch.parse("stddev") == Stretch(mode="stddev", n_std=2.0)
    assert Stretch.parse("stddev:2.5").n_std == 2.5
    assert Stretch.parse("none").mode == "none"
    for bad in ("", "98,2", "2", "x,y", "stddev:x", "1,2,3", "50,101"):
        with pytest.raises(StretchParseError) as err:
            Stretch.parse(bad)
        assert isinstance(err.value, ValueError) and isinstance(err.value, SatviewError)


def test_levels_band_count_mismatch_raises() -> None:
    """Levels for 2 bands cannot be applied to 3 bands; a single pair is broadcast."""
    data = np.zeros((3, 4, 4), np.uint8)
    with pytest.raises(ValueError):
        apply_levels(data, Levels((0.0, 0.0), (1.0, 1.0), 1.0, ""))
    assert apply_levels(data, Levels((0.0,), (1.0,), 1.0, "")).shape == (3, 4, 4)


# -- sampled exact percentiles (big integer bands) ------------------------------------------------------


def _full_histogram_levels(data: np.ndarray, stretch: Stretch, valid: np.ndarray | None,
                           monkeypatch: pytest.MonkeyPatch) -> Levels:
    with monkeypatch.context() as m:
        m.setattr(bs, "_SAMPLE_MIN_PIXELS", 1 << 62)  # force the full-histogram path
        return compute_levels(data, stretch, valid)


@pytest.mark.parametrize("dtype", [np.uint16, np.int16, np.uint8])
@pytest.mark.parametrize("linked", [False, True])
def test_sampled_percentiles_equal_the_full_histogram(dtype: type, linked: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Big bands take the sample + bracket path; its limits equal the exact full histogram's."""
    monkeypatch.setattr(bs, "_SAMPLE_MIN_PIXELS", 1 << 12)
    monkeypatch.setattr(bs, "_SAMPLE_PIXELS", 1 << 10)
    info = np.iinfo(dtype)
    centre = (int(info.min) + int(info.max)) // 2
    spread = (int(info.max) - int(info.min)) // 8
    data = np.clip(RNG.normal(centre, spread, size=(3, 150, 170)), info.min, info.max).astype(dtype)
    valid = RNG.random((3, 150, 170)) > 0.3
    calls: list[int] = []
    original = st.sampled_percentiles
    monkeypatch.setattr(st, "sampled_percentiles", lambda *a: calls.append(1) or original(*a))
    for stretch in (Stretch(linked=linked), Stretch(low=0.5, high=99.9, linked=linked),
                    Stretch(low=0.0, high=100.0, linked=linked)):
        fast = compute_levels(data, stretch, valid)
        exact = _full_histogram_levels(data, stretch, valid, monkeypatch)
        assert (fast.lo, fast.hi, fast.source) == (exact.lo, exact.hi, exact.source)
        fast_all = compute_levels(data, stretch)  # no mask
        exact_all = _full_histogram_levels(data, stretch, None, monkeypatch)
        assert (fast_all.lo, fast_all.hi) == (exact_all.lo, exact_all.hi)
    assert calls, "the sampled path was not taken"


def test_sampled_percentiles_match_numpy_on_a_scene_like_band(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fill (0) outside a footprint, skewed values inside: equal to np.percentile of the valid pixels."""
    monkeypatch.setattr(bs, "_SAMPLE_MIN_PIXELS", 1 << 12)
    monkeypatch.setattr(bs, "_SAMPLE_PIXELS", 1 << 10)
    data = (RNG.gamma(2.0, 3000.0, size=(1, 200, 210)) + 7000).astype(np.uint16)
    data[:, :, :40] = 0
    valid = data != 0
    lv = compute_levels(data, Stretch(), valid)
    vals = data[valid]
    assert lv.lo[0] == np.percentile(vals, 2) and lv.hi[0] == np.percentile(vals, 98)


def test_sampled_percentiles_fall_back_when_the_sample_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    """A regular sample blind to a pattern (every sampled pixel 100) brackets the wrong values: the
    exact full histogram is used instead, so the limits stay exact."""
    monkeypatch.setattr(bs, "_SAMPLE_MIN_PIXELS", 1 << 12)
    monkeypatch.setattr(bs, "_SAMPLE_PIXELS", 1 << 10)
    data = np.full((1, 128, 128), 5000, dtype=np.uint16)
    step = round(np.sqrt(128 * 128 / bs._SAMPLE_PIXELS))
    data[0, ::step, ::step] = 100
    assert bs.sampled_percentiles(bs.as_3d(data), None, [0], (2.0, 98.0)) is None
    lv = compute_levels(data, Stretch(low=2, high=98))
    assert lv.lo[0] == np.percentile(data, 2) and lv.hi[0] == np.percentile(data, 98)


def test_sampled_path_keeps_the_minmax_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mostly-constant big band (lo == hi from percentiles) still falls back to its valid range."""
    monkeypatch.setattr(bs, "_SAMPLE_MIN_PIXELS", 1 << 12)
    data = np.zeros((1, 100, 100), dtype=np.uint16)
    data[0, 0, :5] = [1, 2, 3, 4, 900]
    lv = compute_levels(data, Stretch())
    assert (lv.lo[0], lv.hi[0]) == (0.0, 900.0)
