"""The `irm` console script."""
