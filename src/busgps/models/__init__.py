"""Data shapes, split by layer: what devices send, what the domain holds, what the API answers."""
