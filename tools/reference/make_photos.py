"""Writes the photos of the detail study, docs/images/photos/*.png, from the sample images of scikit-image.

Run with Debian's Python and its python3-skimage package (which ships the originals and brings Pillow):

    apt-get install -y python3-skimage
    /usr/bin/python3 tools/reference/make_photos.py [OUTDIR]

Each photo is cropped (where its aspect ratio needs it) and downscaled with Pillow's Lanczos filter to a size whose
sides are multiples of 16 and at most 256 pixels, then saved as an 8-bit RGB PNG without metadata, so a run writes
the same bytes each time. Origins and licences are in docs/images/photos/SOURCES.md.
"""

import os
import sys

import skimage
from PIL import Image

DATA = os.path.join(os.path.dirname(skimage.__file__), "data")

# name: (source file, crop box (left, top, right, bottom) in the original, output size (width, height))
PHOTOS = {
    "astronaut": ("astronaut.png", (0, 0, 512, 512), (256, 256)),
    "coffee": ("coffee.png", (0, 0, 600, 400), (240, 160)),
    "chelsea": ("chelsea.png", (0, 0, 450, 300), (240, 160)),
}


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "docs", "images", "photos")
    os.makedirs(out, exist_ok=True)
    for name, (source, box, size) in PHOTOS.items():
        with Image.open(os.path.join(DATA, source)) as original:
            width, height = original.size
            photo = original.convert("RGB").crop(box).resize(size, Image.LANCZOS)
        path = os.path.join(out, name + ".png")
        photo.save(path, format="PNG", optimize=True)
        print(f"wrote {path}: {size[0]}x{size[1]} from skimage/data/{source} {width}x{height}")
    print(f"scikit-image {skimage.__version__}, Pillow {Image.__version__}")


if __name__ == "__main__":
    main()
