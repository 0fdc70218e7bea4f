"""The README's results figure: the default method trained as in the MNIST table
(seed 0, 400 real digits with morpho drawings, 40 epochs), shown on held-out digits.

    python benchmarks/results_figure.py

Writes benchmarks/results/results_figure.png (and .md with the held-out mIoU, a
fraction, and the date), about 3 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from results_io import RESULTS, write_results  # noqa: E402
from coarseseg_tf import fit, mean_iou  # noqa: E402
from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist  # noqa: E402
from coarseseg_tf.viz import save_figure  # noqa: E402

NAME = "results_figure"


def main(argv=None):
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    train, test = make_coarse_mnist(num_train=400, num_test=1000, seed=0)
    model = fit(train.images, train.positive, train.negative, num_classes=2, verbose=2).model
    miou = mean_iou(test.masks, model.segment(test.images), num_classes=2)
    # the held-out digits have no drawings: the figure shows the training digits' drawings
    # beside predictions, and the held-out mIoU in the .md
    figure = save_figure(model, os.path.join(RESULTS, NAME + ".png"), train.images, train.positive,
                         train.negative, train.masks, max_rows=4)
    text = (f"# Results figure\n\n`python benchmarks/results_figure.py`, {datetime.date.today()}: "
            f"method `{model.model_config.method}`, mIoU {miou:.3f} (fraction, background included) on "
            f"{len(test.images)} held-out digits. Figure: `{os.path.basename(figure)}` (training digits).\n")
    write_results(NAME, text, {"method": model.model_config.method, "mean_iou": miou,
                               "num_test": len(test.images), "date": str(datetime.date.today())})
    print(text)


if __name__ == "__main__":
    main()
