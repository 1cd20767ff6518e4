"""What an environment costs a month, computed from its settings and a fleet's profile (`busgps cost`)."""
