"""The incident API: FastAPI commands that append events, and queries that read them."""
