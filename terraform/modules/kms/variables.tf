variable "alias_name" {
  type        = string
  description = "Alias of the key, without the alias/ prefix, e.g. busgps-production."

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]+$", var.alias_name)) && !startswith(var.alias_name, "aws/")
    error_message = "alias_name may hold letters, digits, '/', '_' and '-', and must not start with aws/."
  }
}

variable "description" {
  type        = string
  description = "What the key encrypts, shown in the KMS console."
}

variable "deletion_window_in_days" {
  type        = number
  description = "Days between scheduling the key's deletion and its deletion (7 to 30)."
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}
