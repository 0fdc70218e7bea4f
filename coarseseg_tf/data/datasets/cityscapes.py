"""Cityscapes reader: the official directory tree, label ids mapped to the 19 train ids.

Layout read (as unpacked from ``leftImg8bit_trainvaltest.zip``, ``gtFine_trainvaltest.zip``
and ``gtCoarse.zip``)::

    <root>/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
    <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png
    <root>/gtCoarse/<split>/<city>/<city>_<seq>_<frame>_gtCoarse_labelIds.png

``<split>`` is ``train``, ``val`` or ``test`` (``train_extra`` for the 19,998 images that
only have coarse labels). Other files beside the label ids (``*_color.png``,
``*_instanceIds.png``, ``*_polygons.json``) are not read.

What an example holds:

- ``mask``: gtFine label ids mapped to train ids 0..18, 255 for every id that is not
  evaluated (void, parking, rail track, ...). gtFine of the test split carries no
  real labels, so its masks are all 255.
- ``positive``: the gtCoarse polygons in train ids. Each coarse polygon is a positive
  drawing of its class; pixels the annotator left out (id 0) are 255.
- ``negative``: a negative drawing synthesized per image by
  :func:`~coarseseg_tf.data.synthesis.draw.draw`: a target class ȳ is picked among the
  classes drawn (seeded by the example's key), and the rest of the coarse annotation,
  perturbed by the drawing style's negative recipe, carries the complementary label ȳ
  ("not ȳ").

Full frames are 2048×1024; ``size=(256, 512)`` resizes (bilinear for images, nearest
neighbour for labels) before drawings are synthesized, ``crop=(h, w)`` then takes the
centred window.
"""
from __future__ import annotations

import dataclasses
import glob
import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from coarseseg_tf.data.examples import ImageRecord
from coarseseg_tf.data.datasets.files import (DatasetError, check_size, read_image, read_label_map,
                                     resize_and_crop, resize_labels, stack_records,
                                     warn_or_raise)
from coarseseg_tf.data.synthesis.draw import draw
from coarseseg_tf.data.synthesis.styles import DEFAULT_STYLE, DrawingStyle, get_style
from coarseseg_tf.labels import IGNORE_LABEL

# (name, label id, train id): the Cityscapes label definition. Ids are what the
# *_labelIds.png files hold; train ids are the 19 evaluated classes, 255 = not evaluated.
# The license plate has id -1: it never appears in a labelIds file.
LABELS = (
    ("unlabeled", 0, 255),
    ("ego vehicle", 1, 255),
    ("rectification border", 2, 255),
    ("out of roi", 3, 255),
    ("static", 4, 255),
    ("dynamic", 5, 255),
    ("ground", 6, 255),
    ("road", 7, 0),
    ("sidewalk", 8, 1),
    ("parking", 9, 255),
    ("rail track", 10, 255),
    ("building", 11, 2),
    ("wall", 12, 3),
    ("fence", 13, 4),
    ("guard rail", 14, 255),
    ("bridge", 15, 255),
    ("tunnel", 16, 255),
    ("pole", 17, 5),
    ("polegroup", 18, 255),
    ("traffic light", 19, 6),
    ("traffic sign", 20, 7),
    ("vegetation", 21, 8),
    ("terrain", 22, 9),
    ("sky", 23, 10),
    ("person", 24, 11),
    ("rider", 25, 12),
    ("car", 26, 13),
    ("truck", 27, 14),
    ("bus", 28, 15),
    ("caravan", 29, 255),
    ("trailer", 30, 255),
    ("train", 31, 16),
    ("motorcycle", 32, 17),
    ("bicycle", 33, 18),
    ("license plate", -1, 255),
)
NUM_CLASSES = 19
CLASS_NAMES = tuple(name for name, _, train_id in sorted(LABELS, key=lambda row: row[2])
                    if train_id != IGNORE_LABEL)
SPLITS = ("train", "val", "test", "train_extra")

_UNKNOWN = -1
_ID_TO_TRAIN_ID = np.full(256, _UNKNOWN, np.int16)
for _name, _id, _train_id in LABELS:
    if _id >= 0:
        _ID_TO_TRAIN_ID[_id] = _train_id

IMAGE_SUFFIX = "_leftImg8bit.png"


def to_train_ids(label_ids: np.ndarray, path: str = "label map", strict: bool = False) -> np.ndarray:
    """(H, W) Cityscapes label ids -> (H, W) uint8 train ids (0..18, 255 = ignore).

    An id outside the table (34..255) becomes 255 with a warning naming ``path``;
    ``strict=True`` raises :class:`DatasetError` instead.
    """
    train_ids = _ID_TO_TRAIN_ID[np.asarray(label_ids, np.uint8)]
    unknown = train_ids == _UNKNOWN
    if unknown.any():
        ids = sorted(set(np.asarray(label_ids)[unknown].tolist()))
        warn_or_raise(f"{path}: unknown Cityscapes label id(s) {ids} in {int(unknown.sum())} "
                      "pixel(s); they are treated as ignore (255)", strict)
    return np.where(unknown, IGNORE_LABEL, train_ids).astype(np.uint8)


@dataclass(frozen=True)
class CityscapesFrame:
    """The files of one frame; ``fine`` / ``coarse`` are None when not read."""

    key: str
    image: str
    fine: str | None = None
    coarse: str | None = None


def _label_path(root, kind, split, image_path):
    city = os.path.basename(os.path.dirname(image_path))
    key = os.path.basename(image_path)[: -len(IMAGE_SUFFIX)]
    return os.path.join(root, kind, split, city, f"{key}_{kind}_labelIds.png")


def find_frames(root: str, split: str = "train", fine: bool | None = None,
                coarse: bool | None = None) -> list[CityscapesFrame]:
    """Lists the frames of ``split`` under ``root``, sorted by key.

    Args:
      fine, coarse: read gtFine / gtCoarse label ids. None: when ``gtFine/<split>`` /
        ``gtCoarse/<split>`` exists.
    Raises:
      DatasetError: no images for the split, or label files missing for some images
        (all of them are listed, up to 10).
    """
    image_dir = os.path.join(root, "leftImg8bit", split)
    images = sorted(glob.glob(os.path.join(image_dir, "*", "*" + IMAGE_SUFFIX)))
    if not images:
        raise DatasetError(f"no Cityscapes images under {image_dir} (expected "
                           f"<city>/<city>_<seq>_<frame>{IMAGE_SUFFIX})")
    use = {}
    for kind, wanted in (("gtFine", fine), ("gtCoarse", coarse)):
        use[kind] = os.path.isdir(os.path.join(root, kind, split)) if wanted is None else wanted
    frames, missing = [], []
    for path in images:
        labels = {}
        for kind in ("gtFine", "gtCoarse"):
            labels[kind] = _label_path(root, kind, split, path) if use[kind] else None
            if labels[kind] is not None and not os.path.exists(labels[kind]):
                missing.append(labels[kind])
        frames.append(CityscapesFrame(key=os.path.basename(path)[: -len(IMAGE_SUFFIX)], image=path,
                                      fine=labels["gtFine"], coarse=labels["gtCoarse"]))
    if missing:
        shown = "\n  ".join(missing[:10]) + ("\n  ..." if len(missing) > 10 else "")
        raise DatasetError(f"{len(missing)} Cityscapes label file(s) missing:\n  {shown}")
    return frames


def coarse_drawings(coarse: np.ndarray, key: str, seed: int = 0,
                    style: str | DrawingStyle = DEFAULT_STYLE, work_size=(128, 256)):
    """Positive and negative drawings (H, W) uint8 from a gtCoarse train-id map.

    positive: the coarse map itself (every polygon a positive drawing of its class).
    negative: ``style``'s negative drawing of the map, by
    :func:`~coarseseg_tf.data.synthesis.draw.draw` with the frame's ``key`` and
    ``seed``: for one target class ȳ drawn in the map, picked at random, the rest of
    the coarse annotation perturbed, holding ȳ; all 255 when the map has fewer than
    two classes or the style makes no negative drawing.

    Maps larger than ``work_size`` (H, W) are synthesized at that scale and brought
    back by nearest neighbour: the perturbations work at 4× resolution, which took
    about 5 s per 256×512 street scene on our CPU and 0.5 s at 128×256; a coarse
    stroke loses little at half resolution. None: always full resolution.
    """
    positive = np.asarray(coarse, np.uint8)
    empty = np.full(positive.shape, IGNORE_LABEL, np.uint8)
    work = positive
    if work_size is not None and (positive.shape[0] > work_size[0] or positive.shape[1] > work_size[1]):
        scale = min(work_size[0] / positive.shape[0], work_size[1] / positive.shape[1])
        work = resize_labels(positive, (max(1, round(positive.shape[0] * scale)),
                                        max(1, round(positive.shape[1] * scale))))
    style = get_style(style)
    present = [c for c in range(NUM_CLASSES) if (work == c).any()]
    if style.negative is None or len(present) < 2:
        return positive, empty
    # the annotator's polygons are the positive drawing: only the negative one is drawn
    drawn = draw(work, key, dataclasses.replace(style, positive=None), NUM_CLASSES, seed,
                 target_class=present).negative
    if drawn.shape != positive.shape:
        drawn = resize_labels(drawn, positive.shape)
    # upsampling must not put a stroke where the annotator drew nothing
    return positive, np.where(positive != IGNORE_LABEL, drawn, IGNORE_LABEL).astype(np.uint8)


def read_frame(frame: CityscapesFrame, size=None, crop=None, seed: int = 0,
               style: str | DrawingStyle = DEFAULT_STYLE, strict: bool = False) -> ImageRecord:
    """One frame -> :class:`ImageRecord` (image (H, W, 3) uint8, maps (H, W) uint8).

    ``size`` / ``crop`` (H, W) resize and centre-crop before drawings are made, so
    drawings are synthesized at the size trained on. The negative drawing is
    ``style``'s (see :func:`coarse_drawings`), seeded by ``seed`` and the frame's key.
    """
    image = read_image(frame.image)
    maps = {}
    for name, path in (("mask", frame.fine), ("positive", frame.coarse)):
        if path is None:
            maps[name] = None
            continue
        label_ids = read_label_map(path)
        check_size(label_ids, image.shape, path, frame.image)
        maps[name] = to_train_ids(label_ids, path, strict)
    record = resize_and_crop(ImageRecord(key=frame.key, image=image, **maps), size, crop)
    if record.positive is not None:
        if not (record.positive != IGNORE_LABEL).any():
            warn_or_raise(f"{frame.coarse}: the coarse annotation has no pixel of the 19 classes", strict)
        record.positive, record.negative = coarse_drawings(record.positive, frame.key, seed, style)
    return record


def iter_records(root: str, split: str = "train", size=None, crop=None, seed: int = 0,
                 fine: bool | None = None, coarse: bool | None = None,
                 style: str | DrawingStyle = DEFAULT_STYLE,
                 strict: bool = False) -> Iterator[ImageRecord]:
    """The frames of one split as :class:`ImageRecord`, sorted by key.

    Arguments as in :func:`find_frames` and :func:`read_frame`. Missing label files
    are reported before any image is read.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    for frame in find_frames(root, split, fine, coarse):
        yield read_frame(frame, size, crop, seed, style, strict)


def load_arrays(root: str, split: str = "train", **options) -> dict[str, np.ndarray]:
    """A split as arrays for :func:`coarseseg_tf.fit` (see :func:`stack_records`).

    ``options`` as in :func:`iter_records`. Full frames are 2048×1024: pass
    ``size=(256, 512)`` for a CPU run.
    """
    return stack_records(iter_records(root, split, **options), f"{root} ({split})")
