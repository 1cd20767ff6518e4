"""Domain errors that the API turns into HTTP answers."""


class InvalidParameter(ValueError):
    """A request parameter the API cannot use; the message names it and says what to send."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class NotFound(LookupError):
    """The requested thing does not exist (or no longer does)."""


class InvalidRequest(ValueError):
    """A request body the API cannot take; the message names each problem, e.g.
    `body.positions[3].latitude: Input should be less than or equal to 90`."""


class NotAnIdToken(PermissionError):
    """The request's token is valid for the pool but is not an id token (devices send their id token)."""


class StreamWriteFailed(RuntimeError):
    """Kinesis refused or failed a write. `kind` says whose fault and what the client should do:
    throttled (retry with backoff), misconfigured (this deployment's fault), refused (the request's),
    unavailable (retry later)."""

    def __init__(self, kind: str, code: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


class UnsupportedMediaType(ValueError):
    """A body sent in a media type the route does not take (its routes take application/json)."""
