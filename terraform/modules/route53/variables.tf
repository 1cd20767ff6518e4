variable "domain_name" {
  type        = string
  description = "Custom domain of the API, e.g. api.busgps.example.com (the root leaves the module out when empty)."

  validation {
    condition     = length(split(".", var.domain_name)) >= 2
    error_message = "domain_name must be a fully qualified name such as api.example.com."
  }
}

variable "hosted_zone_name" {
  type        = string
  description = "Public Route 53 zone that holds domain_name; empty means the domain's parent."
  default     = ""
}

variable "rest_api_id" {
  type        = string
  description = "Id of the REST API the domain serves."
}

variable "stage_name" {
  type        = string
  description = "Stage the domain's root path maps to."
}
