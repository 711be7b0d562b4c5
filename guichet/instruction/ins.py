"""ins (see the module docstring when written)."""
