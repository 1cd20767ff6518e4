variable "name" {
  type        = string
  description = "Name of the web ACL and suffix of its log group, e.g. busgps-production."
}

variable "rate_limit_per_address" {
  type        = number
  description = "Most requests one client address may make in 5 minutes before it is answered 429 (10 to 2000000000)."

  validation {
    condition     = var.rate_limit_per_address >= 10 && var.rate_limit_per_address <= 2000000000
    error_message = "rate_limit_per_address must be between 10 and 2000000000, as WAF requires."
  }
}

variable "cors_allow_origin" {
  type        = string
  description = "Access-Control-Allow-Origin of the web ACL's own 429 answers, as the API's."
}

variable "log_retention_days" {
  type        = number
  description = "Days the web ACL's log group keeps its events."
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer managed key of the web ACL's log group."
}
