"""Drawings made by people, from annotation tools, into positive/negative label maps.

Three sources:

- **PNG overlays**: a layer the size of the image where one colour marks positive
  strokes and another negative strokes (red and blue by default; any colour per
  class, with a tolerance for anti-aliased edges). A pixel is drawn where the layer
  is opaque (alpha >= 128) or, for layers without alpha, where it differs from the
  background colour (black by default). Overlays flattened onto the photograph
  cannot be read: export the drawing layer alone.
- **LabelMe JSON** (one file per image): ``shapes`` of type polygon, rectangle,
  circle, line, linestrip or point, rasterised the way LabelMe does (filled, with
  their outline); lines and points get a stroke width.
- **COCO JSON** (one file for many images): polygon ``segmentation`` lists. RLE
  segmentations (crowds) are skipped with a warning.

Shape and category labels name what was drawn: ``"positive"`` / ``"negative"``
(class ``default_class``), a class name from ``classes`` or a class id (``"3"``) for a
positive drawing, and the same prefixed by ``"not "`` for a negative one ("not car":
this is not a car). Shapes drawn later paint over earlier ones of the same kind.

Maps are (H, W) uint8: the class where drawn, 255 elsewhere; in negative maps the
class is the complementary label ȳ. Bad input raises :class:`DatasetError` naming the
file (and the shape, image, category or annotation index): a malformed structure,
NaN or infinite coordinates, a size above :data:`MAX_IMAGE_PIXELS`. Suspicious input (an empty drawing, colours matching no class, an unknown label,
an unsupported shape) warns, or raises with ``strict=True``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from coarseseg_tf.data.datasets.files import (DatasetError, check_size, files_by_stem, read_image,
                                     warn_or_raise)
from coarseseg_tf.labels import IGNORE_LABEL
from coarseseg_tf.staging import staged

FORMATS = ("overlay", "labelme", "coco")
KINDS = ("positive", "negative")
#: the largest drawing made, in pixels (8192 x 8192): a larger size in a file is refused,
#: not allocated (an "imageHeight": 1000000 would ask for hundreds of GiB)
MAX_IMAGE_PIXELS = 2 ** 26
#: coordinates further than this from the origin are refused: no drawing reaches there
MAX_COORDINATE = 2.0 ** 20


def _is_number(value) -> bool:
    # bool is an int in Python, but `"x": true` is a mistake, not a coordinate
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def checked_size(height, width, where: str) -> tuple[int, int]:
    """(H, W) as ints; DatasetError naming ``where`` unless both are whole numbers >= 1
    and H·W <= :data:`MAX_IMAGE_PIXELS`."""
    for name, value in (("height", height), ("width", width)):
        if not _is_number(value) or not float(value).is_integer() or value < 1:
            raise DatasetError(f"{where}: the {name} must be an integer >= 1, got {value!r}")
    if height * width > MAX_IMAGE_PIXELS:
        raise DatasetError(f"{where}: {int(width)}x{int(height)} (WxH) pixels is more than the "
                           f"{MAX_IMAGE_PIXELS} an import makes (MAX_IMAGE_PIXELS)")
    return int(height), int(width)


def checked_points(points, where: str, flat: bool = False) -> np.ndarray:
    """LabelMe's [[x, y], ...], or COCO's flat [x0, y0, x1, y1, ...] with ``flat``, -> (K, 2) float.

    Raises DatasetError naming ``where`` unless every coordinate is a finite number
    within :data:`MAX_COORDINATE`.
    """
    if flat:
        if not isinstance(points, list) or len(points) % 2:
            raise DatasetError(f"{where}: a polygon must be a flat list [x0, y0, x1, y1, ...] "
                               f"of an even length, got {_short(points)}")
        points = [points[i: i + 2] for i in range(0, len(points), 2)]
    if not isinstance(points, list) or not all(isinstance(p, list) and len(p) == 2 for p in points):
        raise DatasetError(f"{where}: points must be a list of [x, y] pairs, got {_short(points)}")
    if not all(_is_number(v) for p in points for v in p):
        raise DatasetError(f"{where}: coordinates must be numbers, got {_short(points)}")
    array = np.asarray(points, float).reshape(-1, 2)
    if not (np.abs(array) <= MAX_COORDINATE).all():  # NaN compares False: refused too
        raise DatasetError(f"{where}: coordinates must be finite and within {MAX_COORDINATE:g}, "
                           f"got {_short(points)}")
    return array


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_color(value) -> tuple:
    """A colour as a name (``"red"``), hex (``"#ff0000"``) or (r, g, b) -> (r, g, b) ints."""
    from PIL import ImageColor
    if isinstance(value, str):
        try:
            return ImageColor.getrgb(value)[:3]
        except ValueError as error:
            raise ValueError(f"not a colour: {value!r} (use a name like 'red' or hex '#ff0000')") from error
    rgb = tuple(int(v) for v in value)
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise ValueError(f"a colour must be (r, g, b) with values in [0, 255], got {value!r}")
    return rgb


def empty_maps(shape) -> dict[str, np.ndarray]:
    return {kind: np.full(shape[:2], IGNORE_LABEL, np.uint8) for kind in KINDS}


# ---------------------------------------------------------------- overlays
@dataclass(frozen=True)
class OverlayColors:
    """Which colour marks which drawing.

    Attributes:
      positive, negative: {class id: colour}; defaults: class 1 in red / blue.
      tolerance: largest per-channel difference (0..255) still matching a colour.
      background: the colour of undrawn pixels in overlays without alpha.
    """

    positive: dict = None
    negative: dict = None
    tolerance: int = 40
    background: object = "black"

    def __post_init__(self):
        object.__setattr__(self, "positive", {int(c): parse_color(v) for c, v in
                                              (self.positive or {1: "red"}).items()})
        object.__setattr__(self, "negative", {int(c): parse_color(v) for c, v in
                                              (self.negative or {1: "blue"}).items()})
        object.__setattr__(self, "background", parse_color(self.background))
        if not 0 <= self.tolerance < 128:
            raise ValueError(f"tolerance must be in [0, 128), got {self.tolerance}")
        named = [(f"{kind} class {c}", rgb) for kind in KINDS for c, rgb in getattr(self, kind).items()]
        named.append(("background", self.background))
        # two colours closer than 2·tolerance could both match one pixel
        for i, (name_a, a) in enumerate(named):
            for name_b, b in named[i + 1:]:
                if max(abs(x - y) for x, y in zip(a, b)) <= 2 * self.tolerance:
                    raise ValueError(f"colours of {name_a} {a} and {name_b} {b} are within twice the "
                                     f"tolerance ({self.tolerance}) of each other: a pixel could match both")


def read_overlay(path: str, colors: OverlayColors | None = None, image_shape=None,
                 image_path: str = "the image", strict: bool = False) -> dict[str, np.ndarray]:
    """A PNG overlay -> {"positive": (H, W) uint8, "negative": (H, W) uint8}.

    ``image_shape`` (H, W[, C]), when given, must equal the overlay's size.
    """
    from PIL import Image
    colors = colors or OverlayColors()
    if not os.path.exists(path):
        raise DatasetError(f"{path} does not exist")
    try:
        with Image.open(path) as layer:
            checked_size(layer.height, layer.width, path)
            has_alpha = layer.mode in ("RGBA", "LA", "PA") or "transparency" in layer.info
            rgba = np.asarray(layer.convert("RGBA"), np.int16)
    except (OSError, Image.DecompressionBombError) as error:
        raise DatasetError(f"{path}: not a readable image ({error})") from error
    if image_shape is not None:
        check_size(rgba, image_shape, path, image_path)
    rgb = rgba[..., :3]

    def near(color):
        return np.abs(rgb - np.array(color, np.int16)).max(axis=-1) <= colors.tolerance
    drawn = rgba[..., 3] >= 128 if has_alpha else ~near(colors.background)
    maps = empty_maps(rgba.shape)
    matched = np.zeros(drawn.shape, bool)
    for kind in KINDS:
        for class_id, color in getattr(colors, kind).items():
            hit = drawn & near(color)
            maps[kind][hit] = class_id
            matched |= hit
    stray = drawn & ~matched
    if stray.any():
        y, x = np.argwhere(stray)[0]
        warn_or_raise(f"{path}: {int(stray.sum())} drawn pixel(s) ({100 * stray.mean():.2f} %) match neither "
                      f"the positive colours {colors.positive} nor the negative colours {colors.negative} "
                      f"(e.g. {tuple(int(v) for v in rgb[y, x])} at x={x}, y={y}); they are left undrawn. "
                      "Set the colours or the tolerance", strict)
    _check_not_empty(maps, path, strict)
    return maps


def _check_not_empty(maps, where, strict):
    if not any((m != IGNORE_LABEL).any() for m in maps.values()):
        warn_or_raise(f"{where}: the drawing is empty (no positive or negative pixel)", strict)


# ---------------------------------------------------------------- labels of shapes
@dataclass(frozen=True)
class LabelNames:
    """How shape and category labels become (kind, class id).

    Attributes:
      classes: {name: class id} for positive drawings of a named class.
      negative_prefix: a label starting with it is a negative drawing of the rest.
      default_class: the class of the bare labels "positive" and "negative".
    """

    classes: dict = None
    negative_prefix: str = "not "
    default_class: int = 1

    def __post_init__(self):
        ids = {**(self.classes or {}), "default_class": self.default_class}
        for name, class_id in ids.items():
            if not _is_id(class_id) or not 0 <= class_id < IGNORE_LABEL:
                raise ValueError(f"class {name!r}: the id must be an integer in [0, {IGNORE_LABEL}), got {class_id!r}")

    def resolve(self, label: str, where: str, strict: bool):
        """(kind, class id), or None (with a warning, or DatasetError when strict) if unknown."""
        text = str(label).strip()
        if text.lower() in KINDS:
            return text.lower(), self.default_class
        kind = "positive"
        if self.negative_prefix and text.lower().startswith(self.negative_prefix.lower()):
            kind, text = "negative", text[len(self.negative_prefix):].strip()
        classes = self.classes or {}
        if text in classes:
            return kind, int(classes[text])
        # isascii: str.isdigit also takes digits such as "²" that int() refuses
        if text.isascii() and text.isdigit() and int(text) < IGNORE_LABEL:
            return kind, int(text)
        warn_or_raise(f"{where}: unknown label {label!r}; known: 'positive', 'negative', class ids, "
                      f"{sorted(classes)} and the same prefixed by {self.negative_prefix!r}; "
                      "the shape is skipped", strict)
        return None


def _rasterise(shape, kind_of_shape: str, points, line_width: int):
    """Pixels covered by one shape, (H, W) bool, drawn with PIL like LabelMe does."""
    from PIL import Image, ImageDraw
    canvas = Image.new("L", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(canvas)
    xy = [tuple(p) for p in points.tolist()]
    if kind_of_shape == "polygon":
        draw.polygon(xy, outline=1, fill=1)
    elif kind_of_shape == "rectangle":
        (x0, y0), (x1, y1) = xy[:2]
        draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], outline=1, fill=1)
    elif kind_of_shape == "circle":
        (cx, cy), (px, py) = xy[:2]
        r = float(np.hypot(px - cx, py - cy))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=1, fill=1)
    elif kind_of_shape in ("line", "linestrip"):
        draw.line(xy, fill=1, width=line_width)
    elif kind_of_shape == "point":
        (cx, cy), r = xy[0], line_width / 2
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=1, fill=1)
    return np.asarray(canvas, bool)


_MIN_POINTS = {"polygon": 3, "rectangle": 2, "circle": 2, "line": 2, "linestrip": 2, "point": 1}


def _paint(maps, resolved, shape_type, points, line_width, where, strict):
    """Paints one shape; ``points`` (K, 2) from :func:`checked_points`."""
    if not isinstance(shape_type, str) or shape_type not in _MIN_POINTS:
        warn_or_raise(f"{where}: shape type {shape_type!r} is not supported "
                      f"(supported: {sorted(_MIN_POINTS)}); the shape is skipped", strict)
        return
    if len(points) < _MIN_POINTS[shape_type]:
        raise DatasetError(f"{where}: a {shape_type} needs at least {_MIN_POINTS[shape_type]} points, "
                           f"got {len(points)}")
    kind, class_id = resolved
    maps[kind][_rasterise(maps[kind].shape, shape_type, points, line_width)] = class_id


def _load_json(path):
    if not os.path.exists(path):
        raise DatasetError(f"{path} does not exist")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: not valid JSON ({error})") from error


# ---------------------------------------------------------------- LabelMe
def read_labelme(path: str, names: LabelNames | None = None, image_shape=None,
                 image_path: str = "the image", line_width: int = 3,
                 strict: bool = False) -> dict[str, np.ndarray]:
    """A LabelMe JSON file -> {"positive": (H, W) uint8, "negative": (H, W) uint8}.

    The size comes from ``imageHeight`` / ``imageWidth``, else from ``image_shape``;
    when both are known they must agree.
    """
    names = names or LabelNames()
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
        raise DatasetError(f"{path}: not a LabelMe file (no 'shapes' list)")
    height, width = data.get("imageHeight"), data.get("imageWidth")
    if height is None or width is None:
        if image_shape is None:
            raise DatasetError(f"{path}: no imageHeight/imageWidth; pass the images to size the drawing")
        height, width = image_shape[:2]
    shape = checked_size(height, width, f"{path}: imageHeight/imageWidth")
    if image_shape is not None:
        check_size(np.empty(shape + (0,)), image_shape, path, image_path)
    maps = empty_maps(shape)
    for i, item in enumerate(data["shapes"]):
        if not isinstance(item, dict):
            raise DatasetError(f"{path}: shape {i} must be an object with a label and points, got {_short(item)}")
        where = f"{path}: shape {i} ({_short(item.get('label'))})"
        points = checked_points(item.get("points", []), where)
        resolved = names.resolve(item.get("label", ""), where, strict)
        if resolved is not None:
            _paint(maps, resolved, item.get("shape_type") or "polygon", points, line_width, where, strict)
    _check_not_empty(maps, path, strict)
    return maps


# ---------------------------------------------------------------- COCO
def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_coco(path: str, names: LabelNames | None = None,
              strict: bool = False) -> dict[str, dict[str, np.ndarray]]:
    """A COCO JSON file -> {image file stem: {"positive": (H, W), "negative": (H, W)}}.

    Category names are resolved by ``names``. Every image listed gets maps, empty
    ones with a warning.
    """
    names = names or LabelNames()
    data = _load_json(path)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list)
                                             for k in ("images", "annotations", "categories")):
        raise DatasetError(f"{path}: not a COCO file (needs 'images', 'annotations', 'categories' lists)")
    categories = {}
    for i, category in enumerate(data["categories"]):
        where = f"{path}: category {i}"
        if not isinstance(category, dict) or not _is_id(category.get("id")) or "name" not in category:
            raise DatasetError(f"{where} must be an object with an integer 'id' and a 'name', got {_short(category)}")
        if category["id"] in categories:
            raise DatasetError(f"{where}: the id {category['id']} is used twice")
        categories[category["id"]] = category["name"]
    resolved = {cid: names.resolve(name, f"{path}: category {cid}", strict) for cid, name in categories.items()}
    images, maps = {}, {}
    for i, image in enumerate(data["images"]):
        where = f"{path}: image {i}"
        if not isinstance(image, dict) or not _is_id(image.get("id")) or not isinstance(image.get("file_name"), str):
            raise DatasetError(f"{where} must be an object with an integer 'id', a 'file_name', a 'height' "
                               f"and a 'width', got {_short(image)}")
        stem = os.path.splitext(os.path.basename(image["file_name"]))[0]
        if stem in maps or image["id"] in images:
            raise DatasetError(f"{where}: a second image with the stem {stem!r} or the id {image['id']}")
        images[image["id"]] = stem
        maps[stem] = empty_maps(checked_size(image.get("height"), image.get("width"), f"{where} ({stem!r})"))
    for i, annotation in enumerate(data["annotations"]):
        if not isinstance(annotation, dict):
            raise DatasetError(f"{path}: annotation {i} must be an object, got {_short(annotation)}")
        where = f"{path}: annotation {i} (id {_short(annotation.get('id'))})"
        image_id, category_id = annotation.get("image_id"), annotation.get("category_id")
        if not _is_id(image_id) or image_id not in images:
            raise DatasetError(f"{where}: image_id {_short(image_id)} is not in 'images'")
        if not _is_id(category_id) or category_id not in categories:
            raise DatasetError(f"{where}: category_id {_short(category_id)} is not in 'categories'")
        segmentation = annotation.get("segmentation")
        if isinstance(segmentation, dict):
            warn_or_raise(f"{where}: RLE segmentations are not supported (polygons only); skipped", strict)
            continue
        if not isinstance(segmentation, list):
            raise DatasetError(f"{where}: segmentation must be a list of polygons, got {_short(segmentation)}")
        polygons = [checked_points(polygon, f"{where}, polygon {j}", flat=True)
                    for j, polygon in enumerate(segmentation)]
        label = resolved[category_id]
        if label is None:
            continue
        for j, points in enumerate(polygons):
            _paint(maps[images[image_id]], label, "polygon", points, 1, f"{where}, polygon {j}", strict)
    for stem, image_maps in maps.items():
        _check_not_empty(image_maps, f"{path}: image {stem!r}", strict)
    return maps


# ---------------------------------------------------------------- folders
@dataclass(frozen=True)
class Coverage:
    """Fractions of an image's pixels drawn positive and negative."""

    key: str
    positive: float
    negative: float


def _read_all(source, format, images, colors, names, line_width, strict):
    """{stem: maps} for every drawing in ``source``; sizes checked against ``images``."""
    def image_of(stem):
        return None if images is None else images.get(stem)
    if format == "coco":
        out = read_coco(source, names, strict)
        for stem, maps in out.items():
            if image_of(stem) is not None:
                check_size(maps["positive"], read_image(images[stem]).shape, f"{source}: image {stem!r}",
                           images[stem])
        return out
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    if format == "overlay":
        files = files_by_stem(source)
    else:
        if not os.path.isdir(source):
            raise DatasetError(f"{source} is not a directory")
        files = {os.path.splitext(n)[0]: os.path.join(source, n)
                 for n in sorted(os.listdir(source)) if n.lower().endswith(".json")}
    if not files:
        raise DatasetError(f"no {format} files in {source}")
    out = {}
    for stem, path in files.items():
        shape = None if image_of(stem) is None else read_image(images[stem]).shape
        if format == "overlay":
            out[stem] = read_overlay(path, colors, shape, image_of(stem) or "the image", strict)
        else:
            out[stem] = read_labelme(path, names, shape, image_of(stem) or "the image", line_width, strict)
    return out


def import_drawings(source: str, output_dir: str, format: str = "overlay", images: str | None = None,
                    colors: OverlayColors | None = None, names: LabelNames | None = None,
                    line_width: int = 3, strict: bool = False) -> list[Coverage]:
    """Converts drawings into ``<output_dir>/positive/<stem>.png`` and ``negative/<stem>.png``.

    Args:
      source: a folder of overlays (``<stem>.png``) or LabelMe files (``<stem>.json``),
        or one COCO JSON file.
      images: the images' folder; each drawing must then have an image of its stem
        and its size.
      colors, names, line_width: see :func:`read_overlay`, :func:`read_labelme`.
    Returns:
      per-image :class:`Coverage`, sorted by stem. Only maps with drawn pixels are
      written, so an image without a negative drawing gets no negative file; the
      result is what :mod:`coarseseg_tf.data.datasets.folders` reads.
    """
    from PIL import Image
    image_files = None
    if images is not None:
        image_files = files_by_stem(images)
    drawings = _read_all(source, format, image_files, colors, names, line_width, strict)
    if image_files is not None:
        orphans = sorted(set(drawings) - set(image_files))
        if orphans:
            raise DatasetError(f"{len(orphans)} drawing(s) in {source} with no image of the same stem in "
                               f"{images}: {orphans[:10]}")
    report, written = [], {}
    for stem, maps in sorted(drawings.items()):
        for kind, labels in maps.items():
            if (labels != IGNORE_LABEL).any():
                written[os.path.join(output_dir, kind, stem + ".png")] = labels
        report.append(Coverage(stem, *(float((maps[k] != IGNORE_LABEL).mean()) for k in KINDS)))
    # all files appear together or none: a failure half-way leaves earlier imports as they were
    with staged(*written) as paths:
        for path, labels in zip(paths, written.values()):
            Image.fromarray(labels).save(path)
    return report
