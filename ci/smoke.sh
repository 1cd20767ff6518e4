#!/usr/bin/env bash
# Smoke test of a deployed busgps: a CI device user gets an id token, posts a position, and the
# position must be visible through GET within 30 seconds. Everything goes through the busgps CLI,
# as a device and a rider would.
#
#   ci/smoke.sh [OUTPUTS_JSON]
#
# OUTPUTS_JSON is `terraform output -json` of the environment (the deploy job's artifact); without
# it the outputs are read with terraform from terraform/. Outputs used: api_base_url (the reads),
# ingest_base_url (the devices' POST routes), aws_region, user_pool_id, app_client_id, stream_name
# (the StreamName the compatible POST body carries).
# Creating the CI device user needs AWS credentials (ci/aws-credentials.sh), or an emulator named
# by AWS_ENDPOINT_URL (and BUSGPS_COGNITO_ENDPOINT for the CLI), as the tests use.
set -euo pipefail

project_dir=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$project_dir/.venv/bin/python}
busgps=${BUSGPS_CLI:-$project_dir/.venv/bin/busgps}
visible_within_seconds=${SMOKE_VISIBLE_WITHIN_SECONDS:-30}

outputs_file=${1:-}
if [[ -z $outputs_file ]]; then
    outputs_file=$(mktemp)
    terraform -chdir="$project_dir/terraform" output -json > "$outputs_file"
fi

output() {
    "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["value"])' \
        "$outputs_file" "$1"
}
# The CLI reads its stack from BUSGPS_* variables; secrets stay off command lines.
BUSGPS_API_URL=$(output api_base_url)
BUSGPS_INGEST_URL=$(output ingest_base_url)
BUSGPS_REGION=$(output aws_region)
BUSGPS_USER_POOL_ID=$(output user_pool_id)
BUSGPS_CLIENT_ID=$(output app_client_id)
BUSGPS_STREAM_NAME=$(output stream_name)
BUSGPS_USERNAME=${BUSGPS_CI_DEVICE_USERNAME:-ci-smoke-device}
export BUSGPS_API_URL BUSGPS_INGEST_URL BUSGPS_REGION BUSGPS_USER_POOL_ID BUSGPS_CLIENT_ID BUSGPS_STREAM_NAME BUSGPS_USERNAME
echo "Smoke test of $BUSGPS_INGEST_URL and $BUSGPS_API_URL (user pool $BUSGPS_USER_POOL_ID in $BUSGPS_REGION)"

if [[ -z ${AWS_ENDPOINT_URL:-} ]]; then
    # shellcheck source=ci/aws-credentials.sh
    . "$project_dir/ci/aws-credentials.sh"
fi
BUSGPS_PASSWORD=$("$python" "$project_dir/ci/ci_device_user.py" \
    --user-pool-id "$BUSGPS_USER_POOL_ID" --region "$BUSGPS_REGION" --username "$BUSGPS_USERNAME")
export BUSGPS_PASSWORD

# Given a device with an id token
BUSGPS_TOKEN=$("$busgps" token)
export BUSGPS_TOKEN

# When it posts a position of a bus no one else uses, at a random place
bus_id="ci-smoke-${CI_PIPELINE_ID:-local}-$RANDOM"
read -r latitude longitude < <("$python" -c \
    'import random; print(round(random.uniform(-60, 60), 6), round(random.uniform(-170, 170), 6))')
"$busgps" post --bus "$bus_id" --lat "$latitude" --lon "$longitude"
posted_at=$SECONDS
echo "Posted bus $bus_id at $latitude,$longitude"

# Then GET shows that very position within the time limit
is_posted_position() {
    "$python" -c '
import json, sys
position = json.loads(sys.stdin.read())
same = lambda a, b: abs(float(a) - float(b)) < 1e-6
sys.exit(0 if same(position["latitude"], sys.argv[1]) and same(position["longitude"], sys.argv[2]) else 1)
' "$latitude" "$longitude"
}
answer=""
while true; do
    if answer=$("$busgps" get "$bus_id" 2>&1) && is_posted_position <<< "$answer"; then
        echo "Visible through GET after $((SECONDS - posted_at)) s: $answer"
        exit 0
    fi
    if ((SECONDS - posted_at >= visible_within_seconds)); then
        echo "Bus $bus_id not visible through GET within $visible_within_seconds s; last answer: $answer" >&2
        exit 1
    fi
    sleep 1
done
