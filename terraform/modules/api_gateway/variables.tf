variable "name" {
  type        = string
  description = "Name of the REST API, prefix of the HTTP API's and of the roles and log groups, e.g. busgps-production."
}

variable "stage_name" {
  type        = string
  description = "Name of the stage the API is deployed to; the first path segment of its default URL."
}

variable "openapi_template_path" {
  type        = string
  description = "Path of api/openapi.yaml, the templatefile template of the REST API of the reads (OpenAPI 3 with API Gateway extensions)."
}

variable "ingest_openapi_template_path" {
  type        = string
  description = "Path of api/ingest.yaml, the templatefile template of the HTTP API of the devices' POST routes."
}

variable "stream_name" {
  type        = string
  description = "Name of the positions stream the ingest function writes to (the StreamName of legacy POST bodies)."
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer managed key of the APIs' log groups."
}

variable "api_function_invoke_arn" {
  type        = string
  description = "Invoke ARN of the API function, the uri of the REST API's Lambda proxy integrations."
}

variable "websocket_schema_path" {
  type        = string
  description = "Path of the WebSocket protocol's schema (src/busgps/models/websocket.schema.json): its route selection expression and route keys."
}

variable "websocket_function_invoke_arn" {
  type        = string
  description = "Invoke ARN of the WebSocket function, the integration of every WebSocket route."
}

variable "ingest_function_invoke_arn" {
  type        = string
  description = "Invoke ARN of the ingest function, the uri of the HTTP API's Lambda integrations."
}

variable "user_pool_issuer" {
  type        = string
  description = "Issuer (iss) of the Cognito user pool's tokens, which the HTTP API's JWT authorizer accepts."
}

variable "app_client_id" {
  type        = string
  description = "Id of the devices' app client, the audience the JWT authorizer accepts."
}

variable "cors_allow_origin" {
  type        = string
  description = "Access-Control-Allow-Origin of the API's responses."
}

variable "throttling_rate_limit" {
  type        = number
  description = "Steady-state requests (REST, HTTP) or messages (WebSocket) per second each API's stage accepts across all its routes."

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  type        = number
  description = "Requests or messages each API's stage accepts in a burst above the rate limit."

  validation {
    condition     = var.throttling_burst_limit > 0
    error_message = "throttling_burst_limit must be positive."
  }
}

variable "logging_level" {
  type        = string
  description = "Execution logging level of every method and WebSocket route: OFF, ERROR or INFO."
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.logging_level)
    error_message = "logging_level must be OFF, ERROR or INFO."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days the access log groups of both APIs and the execution log group keep their events."
}

variable "manage_account_cloudwatch_role" {
  type        = bool
  description = "Whether to set the account's (per-region) API Gateway CloudWatch role; false if another stack owns it."
}

variable "waf_enabled" {
  type        = bool
  description = "Whether a WAF web ACL protects the stage (web_acl_arn)."
}

variable "web_acl_arn" {
  type        = string
  description = "ARN of the regional WAF web ACL associated with the stage when waf_enabled; null otherwise."
}
