"""Writes the 16-bit PNG fixtures, tests/fixtures/png16/, for the decoder of 16-bit PNG files.

Run with Debian's Python (numpy and Pillow from python3-numpy and python3-pil):

    /usr/bin/python3 tools/reference/gen_png16_fixtures.py [OUTDIR]

The PNG files are assembled here by hand (zlib from the standard library), so that every feature the decoder must
handle appears on purpose: the four colour types with 16-bit samples (grey, grey+alpha, RGB, RGBA), every one of
the five filter types (scanline r of each pass uses filter r mod 5), Adam7 interlacing (including images so small
that some passes are empty), IDAT data split over several chunks, an ancillary chunk between the header and the data,
and a tRNS colour key on grey and RGB images. Each NAME.png comes with NAME.npy: the decoded samples as int64, shape
(C, H, W), with the alpha channel a colour key adds (0 where a pixel matches the key, 65535 elsewhere). Pillow
decodes the grey files again as a cross-check (it reads 16-bit grey, not 16-bit colour). Each run writes the same
bytes: the samples come from numpy.random.RandomState seeded with the CRC32 of the case name.
"""

import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}

# name: (channels, height, width, interlaced, colour key or None, IDAT chunk size or None, ancillary chunk)
CASES = {
    "grey_7x5": (1, 7, 5, False, None, None, False),
    "grey_alpha_6x9": (2, 6, 9, False, None, None, True),
    "rgb_5x7": (3, 5, 7, False, None, 40, False),
    "rgba_8x3": (4, 8, 3, False, None, None, False),
    "grey_adam7_11x13": (1, 11, 13, True, None, None, False),
    "grey_alpha_adam7_9x10": (2, 9, 10, True, None, 64, True),
    "rgb_adam7_10x9": (3, 10, 9, True, None, None, False),
    "rgba_adam7_3x2": (4, 3, 2, True, None, None, False),
    "rgb_adam7_1x1": (3, 1, 1, True, None, None, False),
    "grey_key_6x6": (1, 6, 6, False, (1234,), None, False),
    "rgb_key_adam7_5x6": (3, 5, 6, True, (100, 40000, 65535), None, False),
}


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(kind, row, prior, bpp):
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - pred) & 0xFF)
    return bytes(out)


def scanlines(samples, interlaced):
    """samples: (H, W, C) uint16. Returns the filtered scanlines of every pass."""
    h, w, c = samples.shape
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    data = b""
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx, :]
        if sub.size == 0:
            continue
        rows = sub.astype(">u2").reshape(sub.shape[0], -1).view(np.uint8)
        prior = bytes(rows.shape[1])
        for r in range(rows.shape[0]):
            row = rows[r].tobytes()
            data += filter_row(r % 5, row, prior, 2 * c)
            prior = row
    return data


def png(samples, interlaced, key, idat_size, ancillary):
    h, w, c = samples.shape
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, COLOUR_TYPE[c], 0, 0, 1 if interlaced else 0))
    if ancillary:
        out += chunk(b"tEXt", b"Comment\x00ancillary chunks are skipped")
    if key is not None:
        out += chunk(b"tRNS", struct.pack(">" + "H" * len(key), *key))
    compressed = zlib.compress(scanlines(samples, interlaced), 9)
    size = idat_size or len(compressed)
    for i in range(0, len(compressed), size):
        out += chunk(b"IDAT", compressed[i:i + size])
    return out + chunk(b"IEND", b"")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "fixtures", "png16")
    os.makedirs(outdir, exist_ok=True)
    for name, (c, h, w, interlaced, key, idat_size, ancillary) in CASES.items():
        rng = np.random.RandomState(zlib.crc32(name.encode()))
        samples = rng.randint(0, 65536, size=(h, w, c)).astype(np.uint16)
        samples[0, 0, :] = 0
        samples[-1, -1, :] = 65535
        if key is not None:
            samples[1, ::2, :] = key  # every other pixel of row 1 matches the key
        expected = samples.transpose(2, 0, 1).astype(np.int64)
        if key is not None:
            alpha = np.where(np.all(samples == np.array(key, dtype=np.uint16), axis=2), 0, 65535)
            expected = np.concatenate([expected, alpha[None].astype(np.int64)])
        data = png(samples, interlaced, key, idat_size, ancillary)
        with open(os.path.join(outdir, name + ".png"), "wb") as f:
            f.write(data)
        np.save(os.path.join(outdir, name + ".npy"), expected)
        if c == 1 and key is None:
            back = np.array(Image.open(os.path.join(outdir, name + ".png"))).astype(np.int64)
            assert np.array_equal(back, expected[0]), name + ": Pillow decodes other samples"
        print(name, data.__len__(), "bytes")
    with open(os.path.join(outdir, "VERSIONS.txt"), "w") as f:
        f.write(f"numpy {np.__version__}\nPillow {Image.__version__}\nPython {sys.version.split()[0]}\n")


if __name__ == "__main__":
    main()
