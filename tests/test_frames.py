"""The frame encoder: a frame painted over the previous one gives the new image exactly."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from webfig.frames.encoder import (
    DIFF_DENSITY,
    MAX_TILE_ROWS,
    Rect,
    Tile,
    changed_rects,
    encode_frame,
    encode_lossy,
    encode_png,
    encode_tile,
    frame_pixels,
    pack_rect_frame,
    tiles_of,
)

from .imaging import decode_image, decode_png, paint, paint_rect_frame, unpack_rect_frame


def opaque(height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    return pixels


images = st.integers(1, 12).flatmap(
    lambda h: st.integers(1, 12).flatmap(
        lambda w: st.tuples(
            arrays(np.uint8, (h, w, 4), elements=st.sampled_from([0, 1, 128, 254, 255])),
            arrays(np.uint8, (h, w, 4), elements=st.sampled_from([0, 1, 128, 254, 255])),
        )
    )
)


def plot_like(height: int, width: int, seed: int) -> np.ndarray:
    """A white image with a few lines and blocks: the long runs a deflate finds in plots."""
    rng = np.random.default_rng(seed)
    pixels = np.full((height, width, 4), 255, np.uint8)
    for _ in range(20):
        y, x = rng.integers(0, height), rng.integers(0, width)
        pixels[y : y + rng.integers(1, 60), x : x + rng.integers(1, 60), :3] = rng.integers(
            0, 256, 3
        )
    pixels[rng.integers(0, height, 50), :, 3] = rng.integers(0, 256, 50)[:, np.newaxis]
    return pixels


@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_a_png_decodes_to_the_exact_pixels(height, width, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)
    np.testing.assert_array_equal(decode_png(encode_png(pixels)), pixels)


def test_a_png_is_standard_zlib_with_valid_checksums():
    pixels = plot_like(300, 500, seed=9)
    png = encode_png(pixels)
    np.testing.assert_array_equal(decode_png(png), pixels)
    offset, chunks = 8, {}
    while offset < len(png):
        (length,) = struct.unpack_from(">I", png, offset)
        kind, data = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack_from(">I", png, offset + 8 + length)
        assert crc == zlib.crc32(kind + data), kind
        chunks[kind] = data
        offset += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(300, 500 * 4 + 1)
    assert not rows[:, 0].any()  # filter None on every row
    np.testing.assert_array_equal(rows[:, 1:].reshape(pixels.shape), pixels)
    np.testing.assert_array_equal(
        decode_png(encode_png(Rect(7, 5, 80, 90).of(pixels))), pixels[5:95, 7:87]
    )


def psnr(original: np.ndarray, decoded: np.ndarray) -> float:
    """The PSNR in dB of the colours as seen (premultiplied by alpha)."""
    seen = [image[..., :3] * (image[..., 3:] / 255) for image in (original, decoded)]
    return 10 * np.log10(255**2 / np.mean((seen[0] - seen[1]) ** 2))


@pytest.mark.parametrize("seed", [13, 14])
def test_a_lossy_image_is_close_at_full_size_with_its_alpha_exact(seed):
    pixels = plot_like(300, 500, seed)
    decoded = decode_image(encode_lossy(pixels))
    assert decoded.shape == pixels.shape
    np.testing.assert_array_equal(decoded[..., 3], pixels[..., 3])
    assert psnr(pixels, decoded) > 30  # 35 to 39 dB with libwebp 1.6


def test_a_lossy_image_shrinks_with_its_quality():
    pixels = plot_like(300, 500, seed=15)
    low, high = (encode_lossy(pixels, quality) for quality in (20, 95))
    assert len(low) < len(high)
    assert psnr(pixels, decode_image(low)) < psnr(pixels, decode_image(high))


@given(images)
def test_any_frame_painted_over_the_previous_reproduces_the_new_image(pair):
    previous, current = pair
    frame = encode_frame(previous, current)
    if frame is None:
        np.testing.assert_array_equal(previous, current)
        return
    np.testing.assert_array_equal(paint(previous, frame.kind, frame.png), current)


def test_a_small_change_makes_a_diff_frame_of_only_the_changed_pixels():
    previous = opaque(40, 60, seed=1)
    current = previous.copy()
    current[10:12, 20:25] = [255, 0, 0, 255]
    frame = encode_frame(previous, current)
    assert frame is not None
    assert frame.kind == "diff"
    decoded = decode_png(frame.png)
    changed = decoded[..., 3] == 255
    assert changed.sum() == 10
    assert changed[10:12, 20:25].all()
    np.testing.assert_array_equal(paint(previous, "diff", frame.png), current)


def test_no_change_makes_no_frame():
    previous = opaque(8, 8, seed=2)
    assert encode_frame(previous, previous.copy()) is None


def test_a_png_of_kept_pixels_has_the_others_fully_transparent():
    pixels = opaque(30, 40, seed=12)
    keep = np.zeros((30, 40), bool)
    keep[3, 5] = keep[20:25, 30:38] = True
    expected = np.where(keep[..., None], pixels, 0).astype(np.uint8)
    np.testing.assert_array_equal(decode_png(encode_png(pixels, keep)), expected)
    nothing = decode_png(encode_png(pixels, np.zeros((30, 40), bool)))
    np.testing.assert_array_equal(nothing, np.zeros_like(pixels))


def test_full_without_a_previous_frame_and_when_the_size_changes():
    current = opaque(8, 8, seed=3)
    assert encode_frame(None, current).kind == "full"
    assert encode_frame(opaque(8, 9, seed=3), current).kind == "full"
    np.testing.assert_array_equal(decode_png(encode_frame(None, current).png), current)


def test_a_translucent_changed_pixel_forces_a_full_frame():
    previous = opaque(8, 8, seed=4)
    current = previous.copy()
    current[0, 0] = [10, 20, 30, 128]
    kind, pixels = frame_pixels(previous, current)
    assert kind == "full"
    np.testing.assert_array_equal(pixels, current)


def test_translucent_pixels_that_did_not_change_allow_a_diff():
    previous = opaque(8, 8, seed=5)
    previous[:, :4, 3] = 100  # a translucent, unchanged region
    current = previous.copy()
    current[7, 7] = [0, 0, 0, 255]
    frame = encode_frame(previous, current)
    assert frame.kind == "diff"
    np.testing.assert_array_equal(paint(previous, "diff", frame.png), current)


def test_a_translucent_pixel_at_the_far_corner_of_the_change_forces_a_full_frame():
    previous = opaque(40, 60, seed=10)
    current = previous.copy()
    current[2, 3] = [0, 0, 0, 255]
    current[30, 50] = [0, 0, 0, 254]  # the last row and column of the changed box
    assert frame_pixels(previous, current)[0] == "full"


def test_a_change_of_most_pixels_is_a_full_frame():
    previous = opaque(40, 60, seed=11)
    current = previous.copy()
    current[: int(40 * DIFF_DENSITY) + 1] = [1, 2, 3, 255]
    kind, pixels = frame_pixels(previous, current)
    assert kind == "full"
    np.testing.assert_array_equal(pixels, current)


scattered = st.tuples(
    st.integers(1, 80), st.integers(1, 80), st.integers(0, 2**32 - 1), st.floats(0, 1)
)


def scattered_change(height: int, width: int, seed: int, density: float):
    """A random image and a copy with about ``density`` of its pixels changed, anywhere;
    a few pixels of each are translucent (more in some, none in others)."""
    rng = np.random.default_rng(seed)
    translucent_share = rng.choice([0.0, 0.001, 0.05, 0.5])

    def image() -> np.ndarray:
        pixels = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
        opaque = rng.random((height, width)) >= translucent_share
        pixels[..., 3][opaque] = 255
        return pixels

    previous, replacement = image(), image()
    changed = rng.random((height, width)) < density
    current = np.where(changed[..., np.newaxis], replacement, previous)
    return previous, current


@given(scattered)
def test_changes_of_any_density_reproduce_the_new_image(change):
    previous, current = scattered_change(*change)
    frame = encode_frame(previous, current)
    if frame is None:
        np.testing.assert_array_equal(previous, current)
        return
    np.testing.assert_array_equal(paint(previous, frame.kind, frame.png), current)
    message = encode_rect_frame(previous, current)
    np.testing.assert_array_equal(paint_rect_frame(previous, message), current)
    rects = changed_rects(previous, current)
    covered = np.zeros(current.shape[:2], bool)
    for rect in rects:
        rect.of(covered)[...] = True
    assert covered[(previous != current).any(axis=-1)].all()


def test_a_dense_change_is_covered_by_its_bounding_box_in_tiles():
    previous, current = scattered_change(600, 300, seed=12, density=0.0)
    block = Rect(20, 30, 250, 500)
    rng = np.random.default_rng(12)
    block.of(current)[rng.random((500, 250)) < 0.8] = [9, 9, 9, 255]
    block.of(current)[[0, -1], [0, -1]] = [9, 9, 9, 255]  # the block's corners bound it
    block.of(previous)[[0, -1], [0, -1]] = [8, 8, 8, 255]
    assert changed_rects(previous, current) == tiles_of(block)


def encode_rect_frame(previous, current) -> bytes:
    rects = changed_rects(previous, current)
    size = (current.shape[1], current.shape[0])
    full = previous is None or previous.shape != current.shape
    before = None if full else previous
    return pack_rect_frame(size, [encode_tile(before, current, r) for r in rects], full=full)


changes = st.tuples(
    st.integers(1, 300), st.integers(1, 300), st.integers(0, 2**32 - 1), st.integers(0, 40)
)


@given(changes)
def test_rect_frames_painted_over_the_previous_reproduce_the_new_image(change):
    height, width, seed, spots = change
    rng = np.random.default_rng(seed)
    previous = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    current = previous.copy()
    for _ in range(spots):
        y, x = rng.integers(0, height), rng.integers(0, width)
        current[y : y + rng.integers(1, 20), x : x + rng.integers(1, 20)] = rng.integers(0, 256, 4)
    rects = changed_rects(previous, current)
    for rect in rects:
        assert 0 <= rect.x < rect.x + rect.width <= width
        assert 0 <= rect.y < rect.y + rect.height <= height
    painted = paint_rect_frame(previous, encode_rect_frame(previous, current))
    np.testing.assert_array_equal(painted, current)
    if spots == 0:
        assert rects == []


def test_a_first_rect_frame_is_full_and_tiled():
    current = opaque(500, 300, seed=6)
    message = encode_rect_frame(None, current)
    frame = unpack_rect_frame(message)
    assert frame.full
    assert (frame.width, frame.height) == (300, 500)
    heights = [tile.rect.height for tile in frame.tiles]
    assert heights == [min(MAX_TILE_ROWS, 500 - top) for top in range(0, 500, MAX_TILE_ROWS)]
    assert len(heights) > 1
    np.testing.assert_array_equal(paint_rect_frame(None, message), current)


def test_a_moving_crosshair_makes_thin_rects_not_its_bounding_box():
    previous = np.full((480, 640, 4), 255, np.uint8)
    current = previous.copy()
    current[:, 300:302] = [0, 0, 0, 255]  # a vertical line
    current[200, :] = [0, 0, 0, 255]  # a horizontal one
    rects = changed_rects(previous, current)
    covered = sum(r.width * r.height for r in rects)
    assert covered < 640 * 480 // 10
    np.testing.assert_array_equal(
        paint_rect_frame(previous, encode_rect_frame(previous, current)), current
    )


def test_translucent_pixels_are_exact_in_rect_frames():
    previous = opaque(20, 20, seed=7)
    current = previous.copy()
    current[5:8, 5:8] = [10, 20, 30, 77]
    message = encode_rect_frame(previous, current)
    assert [tile.kind for tile in unpack_rect_frame(message).tiles] == ["replace"]
    np.testing.assert_array_equal(paint_rect_frame(previous, message), current)


def test_sparse_opaque_changes_overlay_with_the_unchanged_pixels_transparent():
    previous = np.full((100, 100, 4), 255, np.uint8)
    current = previous.copy()
    diagonal = np.arange(10, 90)
    current[diagonal, diagonal] = [0, 0, 255, 255]
    message = encode_rect_frame(previous, current)
    tiles = unpack_rect_frame(message).tiles
    assert {tile.kind for tile in tiles} == {"overlay"}
    assert sum((decode_image(tile.image)[..., 3] == 255).sum() for tile in tiles) == 80
    np.testing.assert_array_equal(paint_rect_frame(previous, message), current)


def test_store_and_restore_keep_a_region_on_the_viewer():
    background = opaque(60, 80, seed=8)
    region = Rect(10, 20, 30, 15)
    stored = Tile(region, "store", encode_png(region.of(background)), slot=3)
    restored = Tile(region, "restore", slot=3)
    scribbled = background.copy()
    scribbled[20:35, 10:40] = 0
    regions: dict[int, np.ndarray] = {}
    first = pack_rect_frame((80, 60), [stored], full=False)
    np.testing.assert_array_equal(paint_rect_frame(scribbled, first, regions), scribbled)
    second = pack_rect_frame((80, 60), [restored], full=False)
    np.testing.assert_array_equal(paint_rect_frame(scribbled, second, regions), background)


def test_unpacking_rejects_other_messages():
    with pytest.raises(ValueError, match="not a version 1 rect frame"):
        unpack_rect_frame(b"\x89PNG\r\n\x1a\n" + bytes(20))
