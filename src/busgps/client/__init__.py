"""A client of the busgps API: tokens, posting positions and reading them back."""
