"""The incident domain: pure, no I/O. Commands are methods; facts are events."""
