"""Package attributes imported on first use (PEP 562), so that light modules stay light.

``import coarseseg_tf.export.contract`` runs ``coarseseg_tf/__init__.py`` and
``coarseseg_tf/export/__init__.py`` first; if those imported the models or the signatures,
a REST client that only needs a few names would load TensorFlow. A package lists what it
re-exports instead, and the defining module is imported when a name is first read.
"""
from __future__ import annotations

import importlib


def lazy_exports(package: str, exports: dict[str, str]):
    """(``__getattr__``, ``__dir__``) for ``package``, serving ``{name: defining module}``.

    Usage in a package ``__init__``::

        __getattr__, __dir__ = lazy_exports(__name__, {"fit": "coarseseg_tf.train.fit"})
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        namespace[name] = value  # later reads skip __getattr__
        return value

    def __dir__():
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
