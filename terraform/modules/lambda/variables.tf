variable "name_prefix" {
  type        = string
  description = "Prefix of the function, role and log group names, e.g. busgps-production."
}

variable "package_path" {
  type        = string
  description = "Path of the deployment zip built by `make package` for the chosen architecture."
}

variable "architecture" {
  type        = string
  description = "Instruction set of the functions: arm64 (Graviton, cheaper) or x86_64."

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_mb" {
  type        = number
  description = "Memory of the consumer and API functions in MB (128 to 10240); CPU grows with it."

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "memory_mb must be between 128 and 10240."
  }
}

variable "timeout_seconds" {
  type        = number
  description = "Timeout of each function in seconds (1 to 900; API Gateway waits at most 29)."

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 1 and 900."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days the functions' log groups keep their events."
}

variable "log_level" {
  type        = string
  description = "POWERTOOLS_LOG_LEVEL of the functions (and the ingest function's application log level)."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "metrics_namespace" {
  type        = string
  description = "POWERTOOLS_METRICS_NAMESPACE: CloudWatch namespace of the functions' own metrics."
  default     = "busgps"
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer managed key of the stream, queues, log groups and environment variables."
}

variable "stream_arn" {
  type        = string
  description = "ARN of the positions stream the consumer reads and the ingest function writes."
}

variable "stream_consumer_arn" {
  type        = string
  description = "ARN of the stream's enhanced fan-out consumer the consumer's mapping reads through; null: the mapping polls the stream."
  default     = null
}

variable "latest_table_name" {
  type        = string
  description = "Name of the latest-position table (DYNAMODB_TABLE_NAME)."
}

variable "latest_table_arn" {
  type        = string
  description = "ARN of the latest-position table."
}

variable "history_table_name" {
  type        = string
  description = "Name of the history table (HISTORY_TABLE_NAME)."
}

variable "history_table_arn" {
  type        = string
  description = "ARN of the history table."
}

variable "ttl_seconds" {
  type        = number
  description = "TTL_SECONDS: how long a stored position lives after its time."
}

variable "ttl_field_name" {
  type        = string
  description = "TTL_FIELD_NAME: the tables' TTL attribute."
}

variable "cors_allow_origin" {
  type        = string
  description = "CORS_ALLOW_ORIGIN of the API function."
}

variable "history_retention_days" {
  type        = number
  description = "HISTORY_RETENTION_DAYS of the functions that read or write history: days history keeps a fix, from its own time."
}

variable "noise_max_speed_mps" {
  type        = number
  description = "NOISE_MAX_SPEED_MPS of the consumer: a fix implying a faster speed is flagged (0 is off)."
}

variable "noise_max_accuracy_m" {
  type        = number
  description = "NOISE_MAX_ACCURACY_M of the consumer: a fix less accurate than this is flagged (0 is off)."
}

variable "thinning" {
  type = object({
    stationary_distance_m      = number
    stationary_max_gap_seconds = number
    min_interval_seconds       = number
  })
  description = "THINNING_STATIONARY_DISTANCE_M, THINNING_STATIONARY_MAX_GAP_SECONDS and THINNING_MIN_INTERVAL_SECONDS of the consumer (0 is off)."
}

variable "feed_max_age_seconds" {
  type        = number
  description = "FEED_MAX_AGE_SECONDS of the API and WebSocket functions: buses with an older newest fix are left out of the feed and of snapshots."
}

variable "feed_refresh_seconds" {
  type        = number
  description = "FEED_REFRESH_SECONDS of the API function: the feed is built at most once per this period."
}

variable "invalid_records_queue_url" {
  type        = string
  description = "URL of the invalid-records queue (the consumer's DEAD_LETTER_QUEUE_URL)."
}

variable "invalid_records_queue_arn" {
  type        = string
  description = "ARN of the invalid-records queue."
}

variable "consumer_failure_queue_arn" {
  type        = string
  description = "ARN of the queue that receives the batches the event source mapping gives up on."
}

variable "api_execution_arn" {
  type        = string
  description = "Execution ARN of the REST API allowed to invoke the API function."
}

variable "latest_table_stream_arn" {
  type        = string
  description = "ARN of the latest-position table's stream, the push function's event source."
}

variable "connections_table_name" {
  type        = string
  description = "Name of the WebSocket connections table (CONNECTIONS_TABLE_NAME)."
}

variable "connections_table_arn" {
  type        = string
  description = "ARN of the WebSocket connections table."
}

variable "websocket_callback_url" {
  type        = string
  description = "WEBSOCKET_CALLBACK_URL: the WebSocket stage's management endpoint, https://<api id>.execute-api.<region>.amazonaws.com/<stage>."
}

variable "websocket_execution_arn" {
  type        = string
  description = "Execution ARN of the WebSocket API: it may invoke the WebSocket function, and it and the push function post to its connections."
}

variable "websocket_stage_name" {
  type        = string
  description = "Stage of the WebSocket API whose connections the functions post to."
}

variable "push_batch_size" {
  type        = number
  description = "Most stream records per push invocation (1 to 10000)."

  validation {
    condition     = var.push_batch_size >= 1 && var.push_batch_size <= 10000
    error_message = "push_batch_size must be between 1 and 10000."
  }
}

variable "push_batching_window_seconds" {
  type        = number
  description = "Longest wait to gather a push batch, in seconds (0 to 300)."

  validation {
    condition     = var.push_batching_window_seconds >= 0 && var.push_batching_window_seconds <= 300
    error_message = "push_batching_window_seconds must be between 0 and 300."
  }
}

variable "push_maximum_retry_attempts" {
  type        = number
  description = "Retries of a push batch whose function failed (-1 to 10000)."

  validation {
    condition     = var.push_maximum_retry_attempts >= -1 && var.push_maximum_retry_attempts <= 10000
    error_message = "push_maximum_retry_attempts must be between -1 and 10000."
  }
}

variable "push_maximum_record_age_seconds" {
  type        = number
  description = "Oldest stream record still pushed, in seconds (-1 = no limit, or 60 to 604800)."

  validation {
    condition     = var.push_maximum_record_age_seconds == -1 || (var.push_maximum_record_age_seconds >= 60 && var.push_maximum_record_age_seconds <= 604800)
    error_message = "push_maximum_record_age_seconds must be -1 or between 60 and 604800."
  }
}

variable "ingest_api_execution_arn" {
  type        = string
  description = "Execution ARN of the devices' HTTP API allowed to invoke the ingest function."
}

variable "stream_name" {
  type        = string
  description = "Name of the positions stream the ingest function writes to (its STREAM_NAME)."
}

variable "ingest_memory_mb" {
  type        = number
  description = "Memory of the ingest function in MB (128 to 10240); it only checks bodies and writes them."

  validation {
    condition     = var.ingest_memory_mb >= 128 && var.ingest_memory_mb <= 10240
    error_message = "ingest_memory_mb must be between 128 and 10240."
  }
}

variable "trace_ingest_and_consumer" {
  type        = bool
  description = "Whether X-Ray traces the ingest and consumer functions (Active) or only passes traces through."
}

variable "batch_size" {
  type        = number
  description = "Most records per consumer invocation (1 to 10000)."

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "batching_window_seconds" {
  type        = number
  description = "Longest wait to fill a batch, in seconds (0 to 300)."

  validation {
    condition     = var.batching_window_seconds >= 0 && var.batching_window_seconds <= 300
    error_message = "batching_window_seconds must be between 0 and 300."
  }
}

variable "parallelization_factor" {
  type        = number
  description = "Concurrent batches per shard (1 to 10); order per bus is kept because a bus is one partition key."

  validation {
    condition     = var.parallelization_factor >= 1 && var.parallelization_factor <= 10
    error_message = "parallelization_factor must be between 1 and 10."
  }
}

variable "starting_position" {
  type        = string
  description = "Where a new event source mapping starts reading: TRIM_HORIZON (oldest) or LATEST."

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "bisect_batch_on_function_error" {
  type        = bool
  description = "Whether a failing batch is split in two and retried, to isolate a bad record."
}

variable "maximum_retry_attempts" {
  type        = number
  description = "Retries of a failing batch before it goes to the failure queue (-1 = until it expires, up to 10000)."

  validation {
    condition     = var.maximum_retry_attempts >= -1 && var.maximum_retry_attempts <= 10000
    error_message = "maximum_retry_attempts must be between -1 and 10000."
  }
}

variable "maximum_record_age_seconds" {
  type        = number
  description = "Oldest record the consumer still processes, in seconds (-1 = no limit, or 60 to 604800)."

  validation {
    condition     = var.maximum_record_age_seconds == -1 || (var.maximum_record_age_seconds >= 60 && var.maximum_record_age_seconds <= 604800)
    error_message = "maximum_record_age_seconds must be -1 or between 60 and 604800."
  }
}

variable "consumer_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for (and capping) the consumer; -1 for no reservation."
  default     = -1
}

variable "ingest_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for (and capping) the ingest function; -1 for no reservation."
  default     = -1
}

variable "api_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for (and capping) the API function; -1 for no reservation."
  default     = -1
}

variable "push_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for (and capping) the push function; -1 for no reservation."
  default     = -1
}

variable "websocket_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for (and capping) the WebSocket function; -1 for no reservation."
  default     = -1
}
