terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }

  # GitLab-managed state: `terraform init` takes the address, lock address and credentials from
  # -backend-config (see the README). To plan without GitLab, copy backend_override.tf.example to
  # backend_override.tf, which replaces this block with local state.
  backend "http" {}
}
