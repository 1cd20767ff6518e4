provider "aws" {
  region = var.aws_region

  # Every resource carries its project and environment, for cost reports and clean-up.
  default_tags {
    tags = merge(var.tags, {
      Project     = "busgps"
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}
