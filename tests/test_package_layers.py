"""The package reads top to bottom: no module imports from a layer above its own.

Layers, bottom first. A module may import its own layer and the ones below; imports
inside functions count too (they are arrows all the same). Run this file to see the
arrows that cross layers: ``python -m pytest tests/test_package_layers.py -q``.
"""
import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "coarseseg_tf"

LAYERS = [
    ("lazy", "labels", "images", "progress", "staging", "export.contract"),
    ("metrics", "losses", "label_fusion", "tiling", "data", "refine"),
    ("models",),
    ("viz", "train", "export", "evaluation"),
    ("serving",),
    ("cli",),
]


def layer_of(module: str) -> int:
    """Layer index of a dotted name below coarseseg_tf (the most specific entry wins)."""
    best, best_length = None, -1
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best_length:
                best, best_length = index, len(name)
    if best is None:
        raise AssertionError(f"coarseseg_tf.{module} is in no layer of {__file__}: add it")
    return best


def imports_of(path: pathlib.Path):
    """coarseseg_tf modules imported anywhere in ``path``, as dotted names below the package."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("coarseseg_tf"):
            base = node.module.removeprefix("coarseseg_tf").lstrip(".")
            for alias in node.names:
                # "from coarseseg_tf import losses" names a module; "from x.y import f" a name in x.y
                yield f"{base}.{alias.name}".lstrip(".") if not base else base
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("coarseseg_tf."):
                    yield alias.name.removeprefix("coarseseg_tf.")


def test_no_import_runs_back_up_a_layer():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        if module == "__init__" or module.endswith(".__init__"):
            continue  # a package's face re-exports what lies below it
        for target in imports_of(path):
            if layer_of(target) > layer_of(module):
                upward.append(f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})")
    assert not upward, "\n".join(upward)
