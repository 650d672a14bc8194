"""The frame encoder: a frame painted over the previous one gives the new image exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from webfig.frames import encode_frame, frame_pixels

from .imaging import decode_png, paint


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


def test_full_is_sent_first_on_request_and_when_the_size_changes():
    current = opaque(8, 8, seed=3)
    assert encode_frame(None, current).kind == "full"
    assert encode_frame(current, current, full=True).kind == "full"
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
