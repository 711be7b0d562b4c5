"""requests (see the module docstring when written)."""
