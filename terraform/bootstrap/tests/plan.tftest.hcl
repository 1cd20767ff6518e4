# A plan of the CI role of an environment with the real AWS provider and no account:
#   cd terraform/bootstrap && terraform init -backend=false && terraform test \
#     -var environment=sandbox -var aws_region=eu-west-1 -var manage_api_gateway_account=false \
#     -var waf_enabled=false -var domain_name=""
# tests/infra plans it for every environment, with that environment's settings, and checks that
# the role may do what the environment's plan creates.

provider "aws" {
  region                      = var.aws_region
  access_key                  = "plan-only"
  secret_key                  = "plan-only"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

variables {
  gitlab_url           = "https://gitlab.example.com"
  gitlab_project_path  = "transit/busgps"
  allowed_refs         = ["ref_type:branch:ref:main"]
  create_oidc_provider = true
}

run "plan" {
  command = plan
}

run "plan_with_custom_domain" {
  command = plan

  variables {
    domain_name = "api.busgps.example.com"
  }
}
