# A whole plan of an environment against a mocked AWS provider (Terraform 1.7+): no account, no
# credentials.
#   make package && cd terraform && terraform init -backend=false \
#     && terraform test -var-file=environments/sandbox.tfvars
# It evaluates every expression, validation and module wiring that `terraform plan` would.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  # Role policies must be JSON even when mocked.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

run "plan_without_custom_domain" {
  command = plan

  variables {
    domain_name = ""
  }

  assert {
    condition     = length(module.route53) == 0
    error_message = "An empty domain_name must leave the route53 module out."
  }
}

run "plan_with_custom_domain" {
  command = plan

  variables {
    domain_name = "api.busgps.example.com"
  }

  assert {
    condition     = length(module.route53) == 1
    error_message = "A domain_name must bring the route53 module."
  }
}
