variable "domain_name" {
  type        = string
  description = "Custom domain of both APIs, e.g. api.busgps.example.com (the root leaves the module out when empty)."

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
  description = "Id of the REST API of the reads, which the domain's root path serves."
}

variable "stage_name" {
  type        = string
  description = "Stage the domain's root path maps to."
}

variable "ingest_api_id" {
  type        = string
  description = "Id of the devices' HTTP API, mapped at the ingest path of the domain."
}

variable "ingest_stage" {
  type        = string
  description = "Stage of the devices' HTTP API that the ingest path maps to ($default)."
}
