"""Make sure the smoke test's device user exists in a deployed user pool, with a fresh password.

Only admins create users in the pool, so the verify job does it with its environment's AWS role.
The password is new on every run and printed once for the calling script: no CI variable holds it.
"""

import argparse
import contextlib
import secrets
import string

import boto3

PASSWORD_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "^$*.[]{}()?!@#%&")


def fresh_password(length: int = 32) -> str:
    """A random password with every character class, so it meets any Cognito password policy."""
    alphabet = "".join(PASSWORD_CLASSES)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(character in chars for character in password) for chars in PASSWORD_CLASSES):
            return password


def ensure_device_user(user_pool_id: str, region: str, username: str) -> str:
    cognito = boto3.client("cognito-idp", region_name=region)
    # The pool outlives runs (staging, production), so the user often exists already.
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(UserPoolId=user_pool_id, Username=username, MessageAction="SUPPRESS")
    password = fresh_password()
    cognito.admin_set_user_password(
        UserPoolId=user_pool_id, Username=username, Password=password, Permanent=True
    )
    return password


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user-pool-id", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--username", required=True)
    arguments = parser.parse_args()
    print(ensure_device_user(arguments.user_pool_id, arguments.region, arguments.username))


if __name__ == "__main__":
    main()
