"""Shared test support: event factories, a Lambda context, emulator resources."""
