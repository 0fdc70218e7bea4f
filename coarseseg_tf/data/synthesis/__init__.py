"""Synthetic coarse drawings made from true masks: recipes (``morpho``), per-example
seeding and the one drawing entry point (``draw``), and the Beam job (``beam``)."""
