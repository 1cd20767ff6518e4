"""pydantic's validation errors as one line a person can act on."""

from pydantic import ValidationError


def describe(error: ValidationError, *, whole: str = "value") -> str:
    """Each problem as `where: what`, e.g. `latitude: Input should be less than or equal to 90`."""
    return "; ".join(
        f"{'.'.join(str(part) for part in issue['loc']) or whole}: {issue['msg']}" for issue in error.errors()
    )
