"""Where benchmark scripts put their tables: benchmarks/results/NAME.md and NAME.json."""
from __future__ import annotations

import json
import os

RESULTS = os.path.join(os.path.dirname(__file__), "results")


def write_results(name: str, markdown: str, data) -> str:
    """Writes the table and its data side by side; returns the path without extension."""
    os.makedirs(RESULTS, exist_ok=True)
    base = os.path.join(RESULTS, name)
    with open(base + ".md", "w") as f:
        f.write(markdown)
    with open(base + ".json", "w") as f:
        json.dump(data, f, indent=2)
    return base
