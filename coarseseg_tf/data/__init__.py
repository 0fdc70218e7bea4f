"""Data: synthesis of coarse drawings, dataset readers, input checks."""
