"""Encoding: the frame encoder's steps, timed on frames that matplotlib's Agg renders here.

    python benchmarks/encode.py [--repeat N] [--baseline REV] [--images DIR]

The scenes are the benchmark figure (two 2000-point lines and a grid, as benchmarks/scene.py)
at device pixel ratio 2, 1280 × 960: its first frame, a pan step (x limits shifted 1%), and a
one-device-pixel cursor line moved by one CSS pixel; and an image plot panned by 1%, where
nearly every pixel changes. Each time is the best of N repeats (the machine is shared), all
in one run. The tables go to stdout as Markdown:

- the public steps of the frame encoder (webfig/frames/encoder.py), per scene: time and
  bytes; with ``--baseline REV`` also those of the encoder as it was at git revision REV
  (webfig/frames.py before the package had subpackages), side by side;
- deflate: zlib against ISA-L's zlib-compatible deflate, at several levels, on the PNG rows of
  each scene's frame: time and bytes; and the CRC-32 of both;
- lossy encodings for slow links, of the line plot and the image plot: lossy WebP at several
  qualities and efforts against a PNG at half the pixel ratio (2 × 2 pixels averaged), which
  a viewer scales back up: time, bytes, and PSNR against the original once decoded (and the
  half-size image scaled up bilinearly, as a browser's drawImage does), over the whole image
  and over its tick labels. ``--images DIR`` writes each decoded image there, to look at.

A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import math
import subprocess
import sys
import timeit
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import common
import numpy as np
from isal import isal_zlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from webfig.frames import encoder as frames

ROOT = Path(__file__).resolve().parents[1]
Pixels = frames.Pixels
# A repeat runs a step at least this long (as many times as that takes), so that timer
# resolution and one-off stalls do not count.
MIN_REPEAT_SECONDS = 0.05


def best_ms(work: Callable[[], object], repeat: int) -> float:
    """The best time of ``work`` in ms over ``repeat`` repeats."""
    timer = timeit.Timer(work)
    number = max(1, math.ceil(MIN_REPEAT_SECONDS / max(timer.timeit(1), 1e-6)))
    return min(timer.repeat(repeat, number)) / number * 1000


def figure() -> tuple[Figure, Any]:
    """A figure and its axes, 1280 × 960 pixels: 640 × 480 CSS pixels at ratio 2."""
    made = Figure(figsize=(6.4, 4.8), dpi=200)
    FigureCanvasAgg(made)
    return made, made.subplots()


def snapshot(figure: Figure) -> Pixels:
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def shift_x(ax: Any, share: float) -> None:
    low, high = ax.get_xlim()
    step = (high - low) * share
    ax.set_xlim(low + step, high + step)


def scenes() -> dict[str, tuple[Pixels | None, Pixels]]:
    """Each scene's previous and current image (no previous: a first frame)."""
    lines, ax = figure()
    x = np.linspace(0, 20, 2000)
    ax.plot(x, np.sin(x), x, np.cos(x) * np.exp(-x / 20))
    ax.grid(True)
    ax.set_xlim(0, 10)
    # One device pixel wide (a point is 1/72 inch) and moved by one CSS pixel, two device ones.
    cursor = ax.axvline(5.0, color="black", lw=72 / lines.dpi)
    first = snapshot(lines)
    shift_x(ax, 0.01)
    panned = snapshot(lines)
    ax.set_xlim(0, 10)
    cursor.set_xdata([5.0 + 2 * 10 / ax.bbox.width] * 2)
    moved = snapshot(lines)

    field, ax = figure()
    y, x = np.mgrid[-3:3:300j, -4:4:400j]
    ax.imshow(np.sin(x * y) + np.cos(x) ** 2, extent=(-4, 4, -3, 3), cmap="viridis")
    image = snapshot(field)
    shift_x(ax, 0.01)
    image_panned = snapshot(field)
    return {
        "first frame": (None, first),
        "pan": (first, panned),
        "cursor": (first, moved),
        "image pan": (image, image_panned),
    }


# Where the encoder was, newest first.
ENCODER_PATHS = ("webfig/frames/encoder.py", "webfig/frames.py")


def frames_at(revision: str) -> ModuleType:
    """The frame encoder as it was at git ``revision``, loaded as a module of its own."""
    for path in ENCODER_PATHS:
        shown = subprocess.run(
            ["git", "show", f"{revision}:{path}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if shown.returncode == 0:
            source = shown.stdout
            break
    else:
        raise SystemExit(f"no frame encoder at {revision}: {shown.stderr.strip()}")
    name = f"frames_at_{revision.replace('-', '_').replace('~', '_').replace('^', '_')}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while they are made
    exec(compile(source, f"{revision}:{path}", "exec"), module.__dict__)
    return module


Measure = tuple[float, str]  # milliseconds, and what the step made


def steps(
    encoder: ModuleType, previous: Pixels | None, current: Pixels, repeat: int
) -> Iterator[tuple[str, Measure]]:
    """Each public step of ``encoder`` (a frames module) on one scene: its time and result."""
    found = encoder.frame_pixels(previous, current)
    yield "frame_pixels", (best_ms(lambda: encoder.frame_pixels(previous, current), repeat), "")
    if found is not None:
        kind, pixels = found
        png = encoder.encode_png(pixels)
        time = best_ms(lambda: encoder.encode_png(pixels), repeat)
        yield "encode_png (the frame's pixels)", (time, f"{kind}, {len(png) / 1000:.1f} kB")
    time = best_ms(lambda: encoder.encode_frame(previous, current), repeat)
    yield "encode_frame", (time, "")
    rects = encoder.changed_rects(previous, current)
    area = sum(rect.width * rect.height for rect in rects) / (current.shape[0] * current.shape[1])
    time = best_ms(lambda: encoder.changed_rects(previous, current), repeat)
    yield "changed_rects", (time, f"{len(rects)} rects, {area:.0%} of the image")

    def tiles() -> list[Any]:
        return [encoder.encode_tile(previous, current, rect) for rect in rects]

    made = tiles()
    kinds = sorted({tile.kind for tile in made})
    size = sum(len(tile.image) for tile in made) / 1000
    yield "encode_tile, every rect", (best_ms(tiles, repeat), f"{'/'.join(kinds)}, {size:.1f} kB")

    def rect_frame() -> bytes:
        found = encoder.changed_rects(previous, current)
        encoded = [encoder.encode_tile(previous, current, rect) for rect in found]
        shape = (current.shape[1], current.shape[0])
        message: bytes = encoder.pack_rect_frame(shape, encoded, full=previous is None)
        return message

    message = rect_frame()
    yield "rect frame, all steps", (best_ms(rect_frame, repeat), f"{len(message) / 1000:.1f} kB")


def print_steps(
    scenes: dict[str, tuple[Pixels | None, Pixels]], repeat: int, baseline: str | None
) -> None:
    encoders = {"now": frames}
    if baseline is not None:
        encoders = {baseline: frames_at(baseline), **encoders}
    print(f"### The steps of the frame encoder (best of {repeat})\n")
    header = ["scene", "step"]
    for name in encoders:
        header += [f"{name}: ms", f"{name}: made"]
    if baseline is not None:
        header.append("now / before")
    print("| " + " | ".join(header) + " |")
    print("| --- | --- |" + " ---: | --- |" * len(encoders) + (" ---: |" if baseline else ""))
    for scene, (previous, current) in scenes.items():
        # Step by step, each encoder in turn, so that a change in the machine's load falls
        # on both alike.
        timed = (steps(encoder, previous, current, repeat) for encoder in encoders.values())
        for measured in zip(*timed, strict=True):
            cells = [scene, measured[0][0]]
            for _, (time, made) in measured:
                cells += [f"{time:.2f}", made]
            if baseline is not None:
                cells.append(f"{measured[1][1][0] / measured[0][1][0]:.2f}×")
            print("| " + " | ".join(cells) + " |")
    print()


def png_rows(pixels: Pixels) -> bytes:
    """What a PNG's IDAT compresses: each row after its filter type byte (0, None)."""
    height, width = pixels.shape[:2]
    rows = np.zeros((height, width * 4 + 1), np.uint8)
    rows[:, 1:] = pixels.reshape(height, width * 4)
    return rows.tobytes()


DEFLATES: dict[str, Callable[[bytes], bytes]] = {
    "zlib 1": lambda data: zlib.compress(data, 1),
    "zlib 6": lambda data: zlib.compress(data, 6),
    **{
        f"isal {level}": lambda data, level=level: isal_zlib.compress(data, level)
        for level in range(4)
    },
}


def print_deflate(scenes: dict[str, tuple[Pixels | None, Pixels]], repeat: int) -> None:
    print(f"### Deflate on each scene's PNG frame (best of {repeat})\n")
    print("Each cell: ms, kB.\n")
    print("| scene | " + " | ".join(DEFLATES) + " |")
    print("| --- |" + " ---: |" * len(DEFLATES))
    for scene, (previous, current) in scenes.items():
        found = frames.frame_pixels(previous, current)
        assert found is not None
        rows = png_rows(found[1])
        cells = [f"{scene} ({found[0]})"]
        for deflate in DEFLATES.values():
            time = best_ms(lambda deflate=deflate, rows=rows: deflate(rows), repeat)
            cells.append(f"{time:.2f}, {len(deflate(rows)) / 1000:.1f}")
        print("| " + " | ".join(cells) + " |")
    first = next(current for previous, current in scenes.values() if previous is None)
    idat = isal_zlib.compress(png_rows(first), 1)
    crcs = {"zlib.crc32": zlib.crc32, "isal_zlib.crc32": isal_zlib.crc32}
    times = [
        f"{name} {best_ms(lambda crc=crc: crc(idat), repeat) * 1000:.1f} µs"
        for name, crc in crcs.items()
    ]
    print(f"\nCRC-32 of the first frame's IDAT ({len(idat) / 1000:.1f} kB): {', '.join(times)}\n")


def psnr(original: Pixels, seen: Pixels) -> float:
    """The peak signal-to-noise ratio of the colours in dB (infinite: the same colours)."""
    error = float(np.mean((original[..., :3].astype(np.float64) - seen[..., :3]) ** 2))
    return math.inf if error == 0 else 10 * math.log10(255**2 / error)


def half_resolution(pixels: Pixels) -> bytes:
    """A PNG at half the pixel ratio: each 2 × 2 block of pixels averaged (Pillow's reduce)."""
    return frames.encode_png(np.asarray(Image.fromarray(pixels, "RGBA").reduce(2)))


def scaled_up(data: bytes, size: tuple[int, int]) -> Pixels:
    """What a browser shows of a half-size image drawn into the full rect: bilinear."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA").resize(size, Image.Resampling.BILINEAR))


def webp(quality: int, method: int) -> Callable[[Pixels], bytes]:
    """Lossy WebP at another quality or effort than encode_lossy's."""

    def encode(pixels: Pixels) -> bytes:
        with io.BytesIO() as buffer:
            Image.fromarray(pixels, "RGBA").save(buffer, "webp", quality=quality, method=method)
            return buffer.getvalue()

    return encode


def decoded(data: bytes, _: tuple[int, int]) -> Pixels:
    """What a browser shows of an image drawn at its own size."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


CHOSEN = (frames.LOSSY_QUALITY, frames.LOSSY_METHOD)
Lossy = tuple[Callable[[Pixels], bytes], Callable[[bytes, tuple[int, int]], Pixels]]
LOSSY: dict[str, Lossy] = {
    "PNG, lossless (encode_png)": (frames.encode_png, decoded),
    f"WebP q{CHOSEN[0]} m{CHOSEN[1]} (encode_lossy)": (frames.encode_lossy, decoded),
    **{
        f"WebP q{quality} m{method}": (webp(quality, method), decoded)
        for quality, method in [(50, 0), (70, 0), (80, 0), (90, 0), (70, 1), (70, 2), (70, 4)]
        if (quality, method) != CHOSEN
    },
    "PNG at half resolution, scaled up": (half_resolution, scaled_up),
}
# The bottom rows of a scene: the x tick labels, where text legibility shows.
LABELS = slice(-100, None)


def print_lossy(
    scenes: dict[str, tuple[Pixels | None, Pixels]], repeat: int, images: Path | None
) -> None:
    print(f"### Lossy encodings for slow links (best of {repeat})\n")
    print("| scene | encoding | ms | kB | PSNR dB | PSNR dB, tick labels |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for scene in ("first frame", "image pan"):
        original = scenes[scene][1]
        size = (original.shape[1], original.shape[0])
        for name, (encode, show) in LOSSY.items():
            data = encode(original)
            seen = show(data, size)
            time = best_ms(lambda encode=encode, original=original: encode(original), repeat)
            quality = psnr(original, seen), psnr(original[LABELS], seen[LABELS])
            cells = [scene, name, f"{time:.1f}", f"{len(data) / 1000:.1f}"]
            print("| " + " | ".join(cells + [f"{value:.1f}" for value in quality]) + " |")
            if images is not None:
                images.mkdir(parents=True, exist_ok=True)
                file = "".join(c if c.isalnum() else "-" for c in f"{scene} {name}") + ".png"
                Image.fromarray(seen, "RGBA").save(images / file)
    print()


def main(repeat: int, baseline: str | None, images: Path | None) -> None:
    print(f"Machine: {common.machine(f'numpy {np.__version__}')}\n")
    rendered = scenes()
    for scene, (previous, current) in rendered.items():
        if previous is not None:
            changed = (previous != current).any(axis=-1).mean()
            print(f"- {scene}: {changed:.1%} of the pixels change")
    print()
    print_steps(rendered, repeat, baseline)
    print_deflate(rendered, repeat)
    print_lossy(rendered, repeat, images)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="repeats per timing (best counts)")
    parser.add_argument("--baseline", metavar="REV", help="also time frames.py at this revision")
    parser.add_argument("--images", metavar="DIR", type=Path, help="write the lossy images here")
    arguments = parser.parse_args()
    main(arguments.repeat, arguments.baseline, arguments.images)
