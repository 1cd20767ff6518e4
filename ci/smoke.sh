#!/usr/bin/env bash
# Smoke test of a deployed busgps: a CI device user gets an id token, posts a position, and the
# position must be visible through GET within 30 seconds. Everything goes through the busgps CLI,
# as a device and a rider would.
#
#   ci/smoke.sh [OUTPUTS_JSON]
#
# OUTPUTS_JSON is `terraform output -json` of the environment (the deploy job's artifact); without
# it the outputs are read with terraform from terraform/. Used outputs: api_url, user_pool_id,
# user_pool_client_id, stream_name (the StreamName of the compatible POST). The region is the user
# pool id's prefix (Cognito ids are <region>_<id>).
# AWS credentials (OIDC or keys) are needed to create the CI device user: ci/aws-credentials.sh.
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
api_url=$(output api_url)
user_pool_id=$(output user_pool_id)
client_id=$(output user_pool_client_id)
stream_name=$(output stream_name)
region=${user_pool_id%%_*}
stack=(--api-url "$api_url" --user-pool-id "$user_pool_id" --client-id "$client_id" --region "$region"
    --stream-name "$stream_name")
echo "Smoke test of $api_url (user pool $user_pool_id, region $region)"

if [[ -z ${AWS_ENDPOINT_URL:-} ]]; then
    # shellcheck source=ci/aws-credentials.sh
    . "$project_dir/ci/aws-credentials.sh"
fi
username=${BUSGPS_CI_DEVICE_USERNAME:-ci-smoke-device}
password=$("$python" "$project_dir/ci/ci_device_user.py" \
    --user-pool-id "$user_pool_id" --region "$region" --username "$username")

# Given a device with an id token
token=$("$busgps" "${stack[@]}" token --username "$username" --password "$password")

# When it posts a position of a bus no one else uses, at a random place
bus_id="ci-smoke-${CI_PIPELINE_ID:-local}-$RANDOM"
read -r latitude longitude < <("$python" -c \
    'import random; print(round(random.uniform(-60, 60), 6), round(random.uniform(-170, 170), 6))')
"$busgps" "${stack[@]}" post --token "$token" --bus "$bus_id" --lat "$latitude" --lon "$longitude"
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
while true; do
    if answer=$("$busgps" "${stack[@]}" get "$bus_id" 2> /dev/null) && is_posted_position <<< "$answer"; then
        echo "Visible through GET after $((SECONDS - posted_at)) s: $answer"
        exit 0
    fi
    if ((SECONDS - posted_at >= visible_within_seconds)); then
        echo "Bus $bus_id not visible through GET within $visible_within_seconds s; last answer: ${answer:-none}" >&2
        exit 1
    fi
    sleep 2
done
