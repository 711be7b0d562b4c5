"""verdicts (see the module docstring when written)."""
