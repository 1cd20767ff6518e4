#!/bin/sh
# Terraform steps of the pipeline: plan, apply, destroy, for the environment in TF_ENVIRONMENT.
#   plan     writes terraform/<env>.tfplan and the GitLab plan report terraform/<env>.plan.json
#   apply    applies terraform/<env>.tfplan exactly (no new plan), then exports the outputs
#   destroy  destroys the environment (the sandbox's stop job)
# State lives in GitLab (backend "http"), one state per environment, named after it.
set -eu

usage="usage: TF_ENVIRONMENT=sandbox|staging|production $0 plan|apply|destroy"
command=${1:?$usage}
environment=${TF_ENVIRONMENT:?$usage}
case $environment in
    sandbox | staging | production) ;;
    *) echo "$usage" >&2; exit 2 ;;
esac

project_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$project_dir/${TF_ROOT:-terraform}"
var_file="environments/$environment.tfvars"
plan_file="$environment.tfplan"
plan_report="$environment.plan.json"

# GitLab-managed state through the backend's TF_HTTP_* variables, with the job token.
configure_gitlab_state() {
    state_address="$CI_API_V4_URL/projects/$CI_PROJECT_ID/terraform/state/${TF_STATE_NAME:-$environment}"
    export TF_HTTP_ADDRESS="$state_address"
    export TF_HTTP_LOCK_ADDRESS="$state_address/lock"
    export TF_HTTP_UNLOCK_ADDRESS="$state_address/lock"
    export TF_HTTP_LOCK_METHOD=POST
    export TF_HTTP_UNLOCK_METHOD=DELETE
    export TF_HTTP_USERNAME=gitlab-ci-token
    export TF_HTTP_PASSWORD="$CI_JOB_TOKEN"
    export TF_HTTP_RETRY_WAIT_MIN=5
}

# GitLab's plan report: how many resources the plan creates, updates and deletes.
write_plan_report() {
    command -v jq > /dev/null || apk add --no-cache jq > /dev/null
    terraform show -json "$plan_file" | jq '
        [.resource_changes[]?.change.actions] | flatten
        | {create: map(select(. == "create")) | length,
           update: map(select(. == "update")) | length,
           delete: map(select(. == "delete")) | length}' > "$plan_report"
    echo "Plan report: $(cat "$plan_report")"
}

# The outputs the next jobs read: the environment URL as dotenv, the stack's ids for the smoke
# test. Sensitive outputs are left out, since artifacts are readable by the project's developers.
export_outputs() {
    command -v jq > /dev/null || apk add --no-cache jq > /dev/null
    terraform output -json | jq 'with_entries(select(.value.sensitive | not))' > outputs.json
    printf 'API_URL=%s\n' "$(jq -r '.api_base_url.value' outputs.json)" > deploy.env
    echo "Environment URL: $(cut -d= -f2- deploy.env)"
}

# Checked before anything reaches AWS or GitLab: an apply without its own plan is a wiring error.
if [ "$command" = apply ] && [ ! -f "$plan_file" ]; then
    echo "No $plan_file: the apply job must need plan:$environment, whose plan it applies" >&2
    exit 1
fi

. "$project_dir/ci/aws-credentials.sh"
configure_gitlab_state
if [ -n "${TF_PLUGIN_CACHE_DIR:-}" ]; then
    mkdir -p "$TF_PLUGIN_CACHE_DIR"
fi
# The committed lock file pins the providers: init installs exactly those, never an update.
terraform init -input=false -lock-timeout=5m -lockfile=readonly

case $command in
    plan)
        terraform validate
        terraform plan -input=false -lock-timeout=5m -var-file="$var_file" -out="$plan_file"
        write_plan_report
        ;;
    apply)
        # A saved plan is applied as reviewed; Terraform refuses it if the state moved since.
        terraform apply -input=false -lock-timeout=5m "$plan_file"
        export_outputs
        ;;
    destroy)
        terraform destroy -input=false -lock-timeout=5m -auto-approve -var-file="$var_file"
        ;;
    *)
        echo "$usage" >&2
        exit 2
        ;;
esac
