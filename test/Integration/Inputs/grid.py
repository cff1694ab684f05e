#!/usr/bin/env python3
"""Checks the trainer's per-step sample grid against its grid of final means,
for the integration tests. Both PNGs are read with libpng (its simplified
API, through ctypes).

  grid.py STEPS.png FINAL.png N STEPS HEIGHT WIDTH masked|plain

STEPS.png is `sample --n N` (per-step), FINAL.png `sample --n N --final`
with the same checkpoint and seed. Prints the size of STEPS.png, then, for
the N examples (masked: the test examples; plain: the rollouts), how many
satisfy each property:
  last        the last step column of (the first rollout of) row i equals
              the final mean of cell i (masked: its imputation panel)
  differ      masked: the two rollouts of example i differ in some step
  input       masked: column 0 equals the final grid's known/missing panel
  original    masked: the last column equals the final grid's original
"""
import ctypes
import math
import sys

GAP, PAD = 1, 2  # the per-step grid
CELL_GAP, CELL_PAD = 1, 2  # the final grid


class PngImage(ctypes.Structure):
    _fields_ = [("opaque", ctypes.c_void_p), ("version", ctypes.c_uint32),
                ("width", ctypes.c_uint32), ("height", ctypes.c_uint32),
                ("format", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("colormap_entries", ctypes.c_uint32),
                ("warning_or_error", ctypes.c_uint32),
                ("message", ctypes.c_char * 64)]


def read_png(path):
    """(width, height, RGB bytes) of a PNG file, decoded by libpng."""
    png = ctypes.CDLL("libpng16.so.16")
    image = PngImage()
    image.version = 1  # PNG_IMAGE_VERSION
    if not png.png_image_begin_read_from_file(ctypes.byref(image),
                                              path.encode()):
        sys.exit(f"{path}: {image.message.decode()}")
    image.format = 2  # PNG_FORMAT_RGB
    size = image.width * image.height * 3
    buffer = ctypes.create_string_buffer(size)
    if not png.png_image_finish_read(ctypes.byref(image), None, buffer,
                                     image.width * 3, None):
        sys.exit(f"{path}: {image.message.decode()}")
    return image.width, image.height, buffer.raw


def block(png, left, top, height, width):
    """The RGB bytes of a height x width block at (left, top)."""
    w, _, pixels = png
    return b"".join(pixels[((top + y) * w + left) * 3:
                           ((top + y) * w + left + width) * 3]
                    for y in range(height))


def main():
    steps_path, final_path, n, steps, height, width, kind = sys.argv[1:]
    n, steps, height, width = int(n), int(steps), int(height), int(width)
    masked = kind == "masked"
    grid, final = read_png(steps_path), read_png(final_path)
    print(f"size {grid[0]} {grid[1]}")

    rollouts = 2 if masked else 1
    columns = steps + (2 if masked else 0)
    first = 1 if masked else 0

    def cell(i, r, column):
        return block(grid, PAD + column * (width + GAP),
                     PAD + (i * rollouts + r) * (height + GAP), height, width)

    panels = 3 if masked else 1
    final_columns = max(1, math.ceil(math.sqrt(n)))
    if panels > 1:
        final_columns = max(1, final_columns * 2 // 3)
    cell_width = panels * width + (panels - 1) * CELL_GAP

    def final_cell(i, panel):
        left = (CELL_PAD + (i % final_columns) * (cell_width + CELL_PAD) +
                panel * (width + CELL_GAP))
        top = CELL_PAD + (i // final_columns) * (height + CELL_PAD)
        return block(final, left, top, height, width)

    counts = {"last": 0, "differ": 0, "input": 0, "original": 0}
    for i in range(n):
        counts["last"] += cell(i, 0, first + steps - 1) == \
            final_cell(i, 1 if masked else 0)
        if masked:
            counts["differ"] += any(cell(i, 0, first + t) != cell(i, 1, first + t)
                                    for t in range(steps))
            counts["input"] += cell(i, 0, 0) == final_cell(i, 0)
            counts["original"] += cell(i, 1, columns - 1) == final_cell(i, 2)
    for name in (["last", "differ", "input", "original"] if masked
                 else ["last"]):
        print(f"{name} {counts[name]} of {n}")


if __name__ == "__main__":
    main()
