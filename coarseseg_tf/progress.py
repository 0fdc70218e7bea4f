"""Progress lines for long loops (drawing synthesis, refinement): one line every ~10 %."""
from __future__ import annotations

import time


def progress_printer(label: str):
    """A ``report(done, total)`` callback that prints ``label: done/total (seconds)`` every ~10 %."""
    state = {"next": 0.0, "start": time.time()}

    def report(done, total):
        if done / total >= state["next"] or done == total:
            print(f"{label}: {done}/{total} ({time.time() - state['start']:.0f}s)", flush=True)
            state["next"] = done / total + 0.1
    return report
