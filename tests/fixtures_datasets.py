"""Small datasets written in the exact published layouts, for the reader tests.

Each writer returns what it wrote as arrays, so tests compare decoded data pixel by
pixel against the source rather than against the reader's own logic.
"""
from __future__ import annotations

import json
import os

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

# Cityscapes label ids used by the scene below (a subset of the official 34)
UNLABELED, EGO_VEHICLE, ROAD, SIDEWALK, PARKING, BUILDING = 0, 1, 7, 8, 9, 11
POLE, TRAFFIC_SIGN, VEGETATION, SKY, PERSON, CAR = 17, 20, 21, 23, 24, 26
# colours of gtFine_color.png for those ids (only written for realism, never read)
_COLORS = {UNLABELED: (0, 0, 0), EGO_VEHICLE: (0, 0, 0), ROAD: (128, 64, 128), SIDEWALK: (244, 35, 232),
           PARKING: (250, 170, 160), BUILDING: (70, 70, 70), POLE: (153, 153, 153),
           TRAFFIC_SIGN: (220, 220, 0), VEGETATION: (107, 142, 35), SKY: (70, 130, 180),
           PERSON: (220, 20, 60), CAR: (0, 0, 142)}

CITYSCAPES_FRAMES = {"train": ["aachen_000000_000019", "aachen_000001_000019", "bochum_000000_000313"],
                     "val": ["frankfurt_000000_000294", "lindau_000000_000019"]}


def cityscapes_scene(index: int, height: int = 64, width: int = 128) -> np.ndarray:
    """(H, W) uint8 Cityscapes label ids of a street scene; ``index`` moves the objects."""
    ids = np.full((height, width), ROAD, np.uint8)
    ids[: height // 4] = SKY
    ids[height // 4: height // 2] = BUILDING
    ids[height // 2: 5 * height // 8, : width // 2] = VEGETATION
    ids[height // 2: 5 * height // 8, width // 2:] = SIDEWALK
    ids[height // 4: 5 * height // 8, width // 3: width // 3 + 2] = POLE
    ids[height // 4: height // 4 + 4, width // 3 + 2: width // 3 + 8] = TRAFFIC_SIGN
    shift = 6 * index
    ids[5 * height // 8: 7 * height // 8, 10 + shift: 40 + shift] = CAR
    ids[height // 2: 7 * height // 8, 90 - shift: 96 - shift] = PERSON
    ids[7 * height // 8 - 4:, width - 20:] = PARKING
    ids[height - 4:] = EGO_VEHICLE
    ids[0, :3] = UNLABELED
    return ids


def _coarse(ids: np.ndarray) -> np.ndarray:
    """gtCoarse-like: each region shrunk by 2 pixels, thin objects left out (id 0)."""
    coarse = np.zeros_like(ids)
    for label in np.unique(ids):
        if label in (POLE, TRAFFIC_SIGN, UNLABELED):
            continue
        coarse[ndimage.binary_erosion(ids == label, iterations=2)] = label
    return coarse


def _image(ids: np.ndarray, rng) -> np.ndarray:
    palette = rng.integers(0, 256, size=(256, 3))
    noise = rng.integers(-10, 11, size=ids.shape + (3,))
    return np.clip(palette[ids] + noise, 0, 255).astype(np.uint8)


def write_cityscapes(root, height: int = 64, width: int = 128) -> dict:
    """Writes leftImg8bit/, gtFine/ and gtCoarse/ for the train and val frames.

    Returns {key: {"image": (H, W, 3), "fine": (H, W) label ids, "coarse": (H, W) label ids}}.
    """
    rng = np.random.default_rng(0)
    written = {}
    for split, keys in CITYSCAPES_FRAMES.items():
        for index, key in enumerate(keys):
            city = key.split("_")[0]
            fine = cityscapes_scene(index + (3 if split == "val" else 0), height, width)
            coarse, image = _coarse(fine), _image(fine, rng)
            folders = {kind: os.path.join(root, kind, split, city) for kind in ("leftImg8bit", "gtFine", "gtCoarse")}
            for folder in folders.values():
                os.makedirs(folder, exist_ok=True)
            Image.fromarray(image).save(os.path.join(folders["leftImg8bit"], f"{key}_leftImg8bit.png"))
            for kind, ids in (("gtFine", fine), ("gtCoarse", coarse)):
                stem = os.path.join(folders[kind], f"{key}_{kind}")
                Image.fromarray(ids).save(stem + "_labelIds.png")
                colors = np.array([_COLORS.get(i, (0, 0, 0)) for i in range(256)], np.uint8)
                Image.fromarray(colors[ids]).save(stem + "_color.png")
                # instance ids: label id · 1000 for the classes with instances, else the label id
                instances = np.where(np.isin(ids, (PERSON, CAR)), ids.astype(np.int32) * 1000, ids)
                Image.fromarray(instances.astype(np.uint16)).save(stem + "_instanceIds.png")
                with open(stem + "_polygons.json", "w") as f:
                    json.dump({"imgHeight": height, "imgWidth": width, "objects": []}, f)
            written[key] = {"image": image, "fine": fine, "coarse": coarse}
    return written


# ---------------------------------------------------------------- LES-AV
LES_AV_IDS = ["111", "12", "15"]


def write_les_av(root, height: int = 60, width: int = 72) -> dict:
    """Writes images/<id>.png, vessel-segmentations/<id>.png, masks/<id>_mask.gif, arteries-and-veins/<id>.png.

    Vessel files alternate between 8-bit 0/255 and 1-bit PNGs, as both occur.
    Returns {id: {"image": (H, W, 3), "vessels": (H, W) bool, "fov": (H, W) bool}}.
    """
    rng = np.random.default_rng(1)
    for folder in ("images", "vessel-segmentations", "masks", "arteries-and-veins"):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    yy, xx = np.mgrid[:height, :width]
    fov = (yy - height / 2) ** 2 + (xx - width / 2) ** 2 <= (0.45 * min(height, width)) ** 2
    written = {}
    for index, key in enumerate(LES_AV_IDS):
        canvas = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(canvas)
        draw.line([(5, 5 + 3 * index), (width - 5, height - 10)], fill=255, width=2)
        draw.line([(width // 2, 0), (width // 3 + index, height - 1)], fill=255, width=3)
        vessels = np.asarray(canvas) > 0
        image = np.stack([np.where(fov, 150, 0), np.where(fov, 60, 0), np.where(fov, 30, 0)], -1)
        image = np.where(vessels[..., None] & fov[..., None], image // 2, image)
        image = np.clip(image + rng.integers(0, 8, image.shape) * fov[..., None], 0, 255).astype(np.uint8)
        Image.fromarray(image).save(os.path.join(root, "images", f"{key}.png"))
        vessel_file = Image.fromarray(vessels.astype(np.uint8) * 255)
        (vessel_file if index % 2 == 0 else vessel_file.convert("1")).save(
            os.path.join(root, "vessel-segmentations", f"{key}.png"))
        Image.fromarray(fov.astype(np.uint8) * 255).save(os.path.join(root, "masks", f"{key}_mask.gif"))
        av = np.zeros(image.shape, np.uint8)
        av[vessels, 0] = 255
        Image.fromarray(av).save(os.path.join(root, "arteries-and-veins", f"{key}.png"))
        written[key] = {"image": image, "vessels": vessels, "fov": fov}
    return written


# ---------------------------------------------------------------- image folders
def write_image_folder(root, height: int = 24, width: int = 32, num_classes: int = 3) -> dict:
    """Writes images/, masks/, positive/, negative/ (``c`` lacks a negative drawing).

    Returns {stem: {"image", "mask", "positive", "negative" (None if not written)}}.
    """
    rng = np.random.default_rng(2)
    written = {}
    for index, stem in enumerate(["a", "b", "c"]):
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        mask = np.zeros((height, width), np.uint8)
        mask[4: 12, 5 + index: 20] = 1
        mask[14:, 20:] = num_classes - 1
        mask[0, 0] = 255
        positive = np.full((height, width), 255, np.uint8)
        positive[6:10, 8:16] = 1
        negative = None
        if stem != "c":
            negative = np.full((height, width), 255, np.uint8)
            negative[16:, :6] = 1
        maps = {"images": image, "masks": mask, "positive": positive, "negative": negative}
        for folder, array in maps.items():
            if array is not None:
                os.makedirs(os.path.join(root, folder), exist_ok=True)
                Image.fromarray(array).save(os.path.join(root, folder, f"{stem}.png"))
        written[stem] = {"image": image, "mask": mask, "positive": positive, "negative": negative}
    return written
