"""Data: the tf.Example schema (``examples``), drawing synthesis (``synthesis``) and
dataset readers and converters (``datasets``)."""
