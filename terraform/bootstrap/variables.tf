variable "environment" {
  type        = string
  description = "The environment whose CI jobs the role serves: sandbox, staging or production."

  validation {
    condition     = contains(["sandbox", "staging", "production"], var.environment)
    error_message = "environment must be sandbox, staging or production."
  }
}

variable "aws_region" {
  type        = string
  description = "Region of the environment (its tfvars' aws_region)."
}

variable "manage_api_gateway_account" {
  type        = bool
  description = "The environment's manage_api_gateway_account: whether its deploys set the account's API Gateway CloudWatch role."
}

variable "waf_enabled" {
  type        = bool
  description = "The environment's waf_enabled: whether its deploys manage a WAF web ACL."
}

variable "domain_name" {
  type        = string
  description = "The environment's domain_name: a custom domain its deploys manage (certificate, DNS records), or empty."
}

variable "gitlab_url" {
  type        = string
  description = "URL of the GitLab instance whose id tokens the role trusts, e.g. https://gitlab.com."
}

variable "gitlab_project_path" {
  type        = string
  description = "Path of the GitLab project, group/project, whose pipelines may assume the role."
}

variable "allowed_refs" {
  type        = list(string)
  description = "The sub claim's ref part the role trusts, e.g. [\"ref_type:branch:ref:main\"]; * matches anything."
}

variable "create_oidc_provider" {
  type        = bool
  description = "Whether to create the account's OIDC identity provider for gitlab_url (false if it exists)."
}
