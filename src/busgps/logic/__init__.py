"""Domain logic: plain Python, no AWS."""
