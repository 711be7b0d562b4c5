"""assignment (see the module docstring when written)."""
