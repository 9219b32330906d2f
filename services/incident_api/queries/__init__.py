"""Queries: reads of the projector's read models (the API never writes them)."""
