"""busgps: a streaming REST API for bus GPS positions."""
