# The settings every environment sets (environments/<env>.tfvars; the local stack reads local.tfvars),
# then a few with defaults that rarely change.

variable "environment" {
  type        = string
  description = "Deployment environment: local (the local stack only), sandbox, staging or production."

  validation {
    condition     = contains(["local", "sandbox", "staging", "production"], var.environment)
    error_message = "environment must be local, sandbox, staging or production."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region of every resource, e.g. eu-west-1."
}

variable "stream_name" {
  type        = string
  description = "Name of the Kinesis stream of positions."
}

variable "latest_table_name" {
  type        = string
  description = "Name of the DynamoDB table of each bus's latest position."
}

variable "history_table_name" {
  type        = string
  description = "Name of the DynamoDB table of every position."
}

variable "invalid_records_queue_name" {
  type        = string
  description = "Name of the SQS queue of records the consumer rejects as invalid."
}

variable "consumer_failure_queue_name" {
  type        = string
  description = "Name of the SQS queue of batches the event source mapping gives up on."
}

variable "user_pool_name" {
  type        = string
  description = "Name of the Cognito user pool of bus devices."
}

variable "connections_table_name" {
  type        = string
  description = "Name of the DynamoDB table of open WebSocket connections and their subscriptions."
}

variable "kinesis_stream_mode" {
  type        = string
  description = "Kinesis capacity mode: PROVISIONED (kinesis_shard_count shards) or ON_DEMAND."

  validation {
    condition     = contains(["PROVISIONED", "ON_DEMAND"], var.kinesis_stream_mode)
    error_message = "kinesis_stream_mode must be PROVISIONED or ON_DEMAND."
  }
}

variable "kinesis_shard_count" {
  type        = number
  description = "Shards of a PROVISIONED stream; each takes 1,000 records/s (ignored when ON_DEMAND)."

  validation {
    condition     = var.kinesis_shard_count >= 1
    error_message = "kinesis_shard_count must be at least 1."
  }
}

variable "kinesis_retention_hours" {
  type        = number
  description = "Hours the stream keeps records (24 to 8760); longer lets the consumer recover from longer outages."

  validation {
    condition     = var.kinesis_retention_hours >= 24 && var.kinesis_retention_hours <= 8760
    error_message = "kinesis_retention_hours must be between 24 and 8760."
  }
}

variable "ttl_seconds" {
  type        = number
  description = "Seconds a stored position lives after its time, before DynamoDB's TTL removes it."

  validation {
    condition     = var.ttl_seconds > 0
    error_message = "ttl_seconds must be positive."
  }
}

variable "ttl_field_name" {
  type        = string
  description = "Attribute holding an item's expiry (epoch seconds): the tables' TTL attribute and the functions' TTL_FIELD_NAME."
}

variable "history_retention_days" {
  type        = number
  description = "Days history keeps every fix, counted from the fix's own time (HISTORY_RETENTION_DAYS); ttl_seconds is the latest position's expiry."

  validation {
    condition     = var.history_retention_days >= 1 && var.history_retention_days <= 3650
    error_message = "history_retention_days must be between 1 and 3650."
  }
}

variable "noise_max_speed_mps" {
  type        = number
  description = "A fix implying a faster speed (m/s) from its bus's previous fix is flagged, never the latest (NOISE_MAX_SPEED_MPS; 0 is off)."

  validation {
    condition     = var.noise_max_speed_mps >= 0 && var.noise_max_speed_mps <= 1000
    error_message = "noise_max_speed_mps must be between 0 and 1000."
  }
}

variable "noise_max_accuracy_m" {
  type        = number
  description = "A fix whose accuracy is worse than this many metres is flagged, never the latest (NOISE_MAX_ACCURACY_M; 0 is off)."

  validation {
    condition     = var.noise_max_accuracy_m >= 0
    error_message = "noise_max_accuracy_m must not be negative."
  }
}

variable "thinning_stationary_distance_m" {
  type        = number
  description = "History leaves out a fix within this many metres of its bus's last kept fix (THINNING_STATIONARY_DISTANCE_M; 0 is off)."

  validation {
    condition     = var.thinning_stationary_distance_m >= 0 && var.thinning_stationary_distance_m <= 10000
    error_message = "thinning_stationary_distance_m must be between 0 and 10000."
  }
}

variable "thinning_stationary_max_gap_seconds" {
  type        = number
  description = "A stationary bus still keeps a fix this many seconds after its last kept one (THINNING_STATIONARY_MAX_GAP_SECONDS; 0 is never)."

  validation {
    condition     = var.thinning_stationary_max_gap_seconds >= 0 && var.thinning_stationary_max_gap_seconds <= 86400
    error_message = "thinning_stationary_max_gap_seconds must be between 0 and 86400."
  }
}

variable "thinning_min_interval_seconds" {
  type        = number
  description = "History leaves out a fix closer than this many seconds to its bus's last kept fix (THINNING_MIN_INTERVAL_SECONDS; 0 is off)."

  validation {
    condition     = var.thinning_min_interval_seconds >= 0 && var.thinning_min_interval_seconds <= 86400
    error_message = "thinning_min_interval_seconds must be between 0 and 86400."
  }
}

variable "feed_max_age_seconds" {
  type        = number
  description = "A bus whose newest fix is older than this many seconds is left out of the GTFS-Realtime feed (FEED_MAX_AGE_SECONDS; MobilityData advises 90)."

  validation {
    condition     = var.feed_max_age_seconds > 0 && var.feed_max_age_seconds <= 86400
    error_message = "feed_max_age_seconds must be between 1 and 86400."
  }
}

variable "feed_refresh_seconds" {
  type        = number
  description = "The GTFS-Realtime feed is built at most once per this many seconds, and caches keep it as long (FEED_REFRESH_SECONDS; MobilityData advises at most 30)."

  validation {
    condition     = var.feed_refresh_seconds >= 1 && var.feed_refresh_seconds <= 300
    error_message = "feed_refresh_seconds must be between 1 and 300."
  }
}

variable "consumer_batch_size" {
  type        = number
  description = "Most records per consumer invocation (1 to 10000)."
}

variable "consumer_enhanced_fan_out" {
  type        = bool
  description = "Read the stream through an enhanced fan-out consumer: Kinesis pushes records to the consumer's mapping as they arrive."
}

variable "consumer_batching_window_seconds" {
  type        = number
  description = "Longest wait to fill a consumer batch, in seconds (0 to 300)."
}

variable "consumer_parallelization_factor" {
  type        = number
  description = "Concurrent consumer batches per shard (1 to 10)."
}

variable "consumer_maximum_retry_attempts" {
  type        = number
  description = "Retries of a failing batch before it goes to the consumer-failure queue (-1 to 10000)."
}

variable "consumer_maximum_record_age_seconds" {
  type        = number
  description = "Oldest record the consumer still processes, in seconds (-1, or 60 to 604800)."
}

variable "consumer_bisect_batch_on_function_error" {
  type        = bool
  description = "Whether a failing batch is split in two and retried, to isolate a bad record."
}

variable "consumer_starting_position" {
  type        = string
  description = "Where a new event source mapping starts: TRIM_HORIZON (oldest record) or LATEST."

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.consumer_starting_position)
    error_message = "consumer_starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "push_batch_size" {
  type        = number
  description = "Most latest-position changes per push invocation (1 to 10000)."

  validation {
    condition     = var.push_batch_size >= 1 && var.push_batch_size <= 10000
    error_message = "push_batch_size must be between 1 and 10000."
  }
}

variable "push_batching_window_seconds" {
  type        = number
  description = "Longest wait to gather a push batch, in seconds (0 to 300): each subscriber gets at most one message per batch, and every message is billed."

  validation {
    condition     = var.push_batching_window_seconds >= 0 && var.push_batching_window_seconds <= 300
    error_message = "push_batching_window_seconds must be between 0 and 300."
  }
}

variable "push_maximum_retry_attempts" {
  type        = number
  description = "Retries of a push batch whose function failed (-1 to 10000); a newer position follows within seconds anyway."

  validation {
    condition     = var.push_maximum_retry_attempts >= -1 && var.push_maximum_retry_attempts <= 10000
    error_message = "push_maximum_retry_attempts must be between -1 and 10000."
  }
}

variable "push_maximum_record_age_seconds" {
  type        = number
  description = "Oldest change still pushed, in seconds (-1, or 60 to 604800): older ones are no longer live."

  validation {
    condition     = var.push_maximum_record_age_seconds == -1 || (var.push_maximum_record_age_seconds >= 60 && var.push_maximum_record_age_seconds <= 604800)
    error_message = "push_maximum_record_age_seconds must be -1 or between 60 and 604800."
  }
}

variable "map_tile_url" {
  type        = string
  description = "Tile URL template of the operations map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty for a plain background."
}

variable "map_tile_attribution" {
  type        = string
  description = "Attribution the tile provider requires, shown on the map (HTML)."
}

variable "map_stale_after_seconds" {
  type        = number
  description = "The map greys a bus whose newest fix is older than this; it leaves the map at feed_max_age_seconds."

  validation {
    condition     = var.map_stale_after_seconds > 0
    error_message = "map_stale_after_seconds must be positive."
  }
}

variable "lambda_architecture" {
  type        = string
  description = "Instruction set of the functions: arm64 or x86_64 (make package builds a zip for each)."

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_memory_mb" {
  type        = number
  description = "Memory of the consumer and API functions in MB (128 to 10240)."
}

variable "lambda_timeout_seconds" {
  type        = number
  description = "Timeout of each function in seconds (1 to 900)."
}

variable "ingest_memory_mb" {
  type        = number
  description = "Memory of the ingest function in MB (128 to 10240); it only checks bodies and writes them to the stream."
}

variable "trace_ingest_and_consumer" {
  type        = bool
  description = "Whether X-Ray actively traces the ingest and consumer functions (Lambda samples 1 request a second and 5 % of the rest of each)."
}

variable "log_retention_days" {
  type        = number
  description = "Days every log group (functions, API access and execution) keeps its events."

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts, e.g. 7, 30, 90 or 365."
  }
}

variable "api_throttling_rate_limit" {
  type        = number
  description = "Steady-state requests per second each API's stage accepts (the reads' and the devices')."
}

variable "api_throttling_burst_limit" {
  type        = number
  description = "Requests each API's stage accepts in a burst above the rate limit."
}

variable "dynamodb_billing_mode" {
  type        = string
  description = "Billing of both tables: PAY_PER_REQUEST (on demand) or PROVISIONED."

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.dynamodb_billing_mode)
    error_message = "dynamodb_billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "dynamodb_capacity" {
  type = object({
    latest      = object({ read = number, write = number })
    history     = object({ read = number, write = number })
    connections = object({ read = number, write = number })
  })
  description = "Read and write capacity units of each table (latest, history, connections) when dynamodb_billing_mode is PROVISIONED; ignored on demand. `busgps cost` says what a fleet needs."
}

variable "dynamodb_autoscaling_max_factor" {
  type        = number
  description = "When dynamodb_billing_mode is PROVISIONED, how many times its dynamodb_capacity a table's units may grow to under load."

  validation {
    condition     = var.dynamodb_autoscaling_max_factor >= 1
    error_message = "dynamodb_autoscaling_max_factor must be at least 1."
  }
}

variable "dynamodb_autoscaling_target_percent" {
  type        = number
  description = "When dynamodb_billing_mode is PROVISIONED, the use of its units autoscaling keeps each table near, in percent (20 to 90)."

  validation {
    condition     = var.dynamodb_autoscaling_target_percent >= 20 && var.dynamodb_autoscaling_target_percent <= 90
    error_message = "dynamodb_autoscaling_target_percent must be between 20 and 90."
  }
}

variable "domain_name" {
  type        = string
  description = "Custom domain of the API, e.g. api.busgps.example.com, in a Route 53 zone of the account; empty for none."
}

variable "alarm_email" {
  type        = string
  description = "Address that receives the alarms (it must confirm the subscription); empty for none."
}

variable "cors_allow_origin" {
  type        = string
  description = "Access-Control-Allow-Origin the API sends, e.g. * or https://map.example.com."
}

variable "manage_api_gateway_account" {
  type        = bool
  description = "Whether this environment owns the account's (per-region) API Gateway CloudWatch role; exactly one environment per account and region may."
}

variable "waf_enabled" {
  type        = bool
  description = "Whether a WAF web ACL (rate limit per client address, known bad inputs) protects the API stage; on in production."
}

variable "waf_rate_limit_per_address" {
  type        = number
  description = "Most requests one client address may make in 5 minutes before WAF answers 429 (10 to 2000000000); above what a fleet sends from one NAT address."
}

# ---- Defaults that rarely change ------------------------------------------------------------

variable "lambda_package_dir" {
  type        = string
  description = "Directory of `make package`'s outputs: the zips (busgps-lambda-<architecture>.zip) and map/, the operations map; relative to the working directory."
  default     = "../dist"
}

variable "route53_zone_name" {
  type        = string
  description = "Route 53 zone of domain_name when it is not the domain's parent; empty means the parent."
  default     = ""
}

variable "cognito_hosted_ui_domain_prefix" {
  type        = string
  description = "Prefix of an optional Cognito hosted UI domain; empty for none."
  default     = ""
}


variable "tags" {
  type        = map(string)
  description = "Extra tags on every resource, besides Project, Environment and ManagedBy."
  default     = {}
}
