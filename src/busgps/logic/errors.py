"""Domain errors that the API turns into HTTP answers."""


class InvalidParameter(ValueError):
    """A request parameter the API cannot use; the message names it and says what to send."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class NotFound(LookupError):
    """The requested thing does not exist (or no longer does)."""
