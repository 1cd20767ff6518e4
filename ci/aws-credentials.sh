# Sourced by the scripts of jobs that reach AWS (POSIX sh: the terraform image has no bash).
# OIDC first: the job's GitLab id token (id_tokens: AWS_ID_TOKEN) is written to a file, and the AWS
# SDKs and the Terraform provider exchange it for AWS_ROLE_ARN themselves with
# AssumeRoleWithWebIdentity, so no long-lived key exists. Access keys are the fallback.

if [ -n "${AWS_ROLE_ARN:-}" ]; then
    if [ -z "${AWS_ID_TOKEN:-}" ]; then
        echo "AWS_ROLE_ARN is set but the job has no AWS_ID_TOKEN: add id_tokens (extends .aws)" >&2
        exit 1
    fi
    aws_token_dir=$(mktemp -d)
    AWS_WEB_IDENTITY_TOKEN_FILE="$aws_token_dir/gitlab-id-token"
    (umask 077 && printf '%s' "$AWS_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE")
    # The session name shows in CloudTrail which pipeline job acted.
    AWS_ROLE_SESSION_NAME="gitlab-${CI_PROJECT_ID:-local}-${CI_JOB_ID:-0}"
    export AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_SESSION_NAME
    # Static keys would take precedence over the web identity in the SDKs' credential chain.
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    echo "AWS credentials: OIDC web identity for $AWS_ROLE_ARN"
elif [ -n "${AWS_ACCESS_KEY_ID:-}" ] && [ -n "${AWS_SECRET_ACCESS_KEY:-}" ]; then
    echo "AWS credentials: access key ${AWS_ACCESS_KEY_ID%"${AWS_ACCESS_KEY_ID#????}"}... from CI variables (fallback)"
else
    echo "No AWS credentials for environment ${CI_ENVIRONMENT_NAME:-?}: set AWS_ROLE_ARN (OIDC)," \
        "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, as CI variables scoped to it" >&2
    exit 1
fi
