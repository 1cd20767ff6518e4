terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }

  # Applied once per environment by an administrator, before CI can deploy: keep its state where
  # the administrator keeps such state (a local file by default).
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project     = "busgps"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
