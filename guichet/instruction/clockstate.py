"""clockstate (see the module docstring when written)."""
