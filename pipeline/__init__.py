"""The coarseseg TFX pipeline: settings (configs.py), its definition (pipeline.py), runners."""
