variable "name_prefix" {
  type        = string
  description = "Prefix of the alarm topic's name, e.g. busgps-production."
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer managed key that encrypts the alarm topic."
}

variable "alarm_email" {
  type        = string
  description = "Address subscribed to the alarm topic (it must confirm); empty for no subscription."
}

variable "consumer_function_name" {
  type        = string
  description = "Name of the consumer function (iterator age, errors, throttles)."
}

variable "api_function_name" {
  type        = string
  description = "Name of the API function (errors, throttles)."
}

variable "push_function_name" {
  type        = string
  description = "Name of the push function (WebSocket fan-out)."
}

variable "websocket_function_name" {
  type        = string
  description = "Name of the WebSocket routes' function."
}

variable "ingest_function_name" {
  type        = string
  description = "Name of the ingest function (errors, throttles)."
}

variable "ingest_api_id" {
  type        = string
  description = "Id of the devices' HTTP API, alarmed on 5xx answers."
}

variable "invalid_records_queue_name" {
  type        = string
  description = "Name of the invalid-records queue, alarmed when not empty."
}

variable "consumer_failure_queue_name" {
  type        = string
  description = "Name of the consumer-failure queue, alarmed when not empty."
}

variable "rest_api_name" {
  type        = string
  description = "Name of the REST API (5XX and latency alarms)."
}

variable "stage_name" {
  type        = string
  description = "Stage of the REST API the alarms watch."
}

variable "iterator_age_threshold_ms" {
  type        = number
  description = "Consumer lag behind the stream, in milliseconds, above which the alarm fires."
  default     = 60000
}

variable "api_latency_threshold_ms" {
  type        = number
  description = "p99 API latency, in milliseconds, above which the alarm fires."
  default     = 2000
}
