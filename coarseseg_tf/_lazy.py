"""Package attributes imported on first use (PEP 562), so light modules load without TensorFlow."""
from __future__ import annotations

import importlib


def lazy_exports(package: str, exports: dict[str, str]):
    """(__getattr__, __dir__) for a package whose ``exports`` map names to their modules."""
    def __getattr__(name):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        setattr(importlib.import_module(package), name, value)  # later look-ups skip this hook
        return value

    def __dir__():
        return sorted(set(exports) | set(vars(importlib.import_module(package))))
    return __getattr__, __dir__
