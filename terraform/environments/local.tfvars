# Settings of the local stack (moto server + local API gateway). The local stack reads this file
# with python-hcl2; it has exactly the same keys as sandbox, staging and production.
environment = "local"
aws_region  = "us-east-1"

stream_name                 = "busgps-local-positions"
latest_table_name           = "busgps-local-latest"
history_table_name          = "busgps-local-history"
invalid_records_queue_name  = "busgps-local-invalid-records"
consumer_failure_queue_name = "busgps-local-consumer-failures"
user_pool_name              = "busgps-local-devices"
connections_table_name      = "busgps-local-connections"

kinesis_stream_mode     = "PROVISIONED"
kinesis_shard_count     = 2
kinesis_retention_hours = 24

ttl_seconds    = 3600
ttl_field_name = "expirationTime"

# History keeps every fix this many days from its own time; ttl_seconds is only the latest position's.
history_retention_days = 1

# Noise filters (0 is off): a fix implying a faster speed from the bus's previous fix, or less
# accurate, is kept flagged in history and never becomes the latest position.
noise_max_speed_mps  = 70
noise_max_accuracy_m = 0

# Thinning of history (0 is off): leave out fixes of a stationary bus, or closer in time than this.
thinning_stationary_distance_m      = 0
thinning_stationary_max_gap_seconds = 0
thinning_min_interval_seconds       = 0

# GTFS-Realtime feed: a bus is left out once its newest fix is this old; the feed is rebuilt (and
# cacheable) once per refresh period.
feed_max_age_seconds = 90
feed_refresh_seconds = 2

# Enhanced fan-out: the stream pushes records to the consumer as they arrive (locally: read when the
# emulator signals a put, not polled every 0.2 s), and each batch is invoked at once (no batching window).
consumer_enhanced_fan_out               = true
consumer_batch_size                     = 100
consumer_batching_window_seconds        = 0
consumer_parallelization_factor         = 1
consumer_maximum_retry_attempts         = 3
consumer_maximum_record_age_seconds     = 3600
consumer_bisect_batch_on_function_error = true
consumer_starting_position              = "TRIM_HORIZON"

# Live push: the latest-position table's stream feeds the push function, which sends each WebSocket
# subscriber one message per batch. Every message is billed, so deployed batches gather a few seconds.
push_batch_size                 = 1000
push_batching_window_seconds    = 0
push_maximum_retry_attempts     = 2
push_maximum_record_age_seconds = 60

# The operations map: a tile URL template ({z}/{x}/{y}) and its attribution (none: a plain
# background), and when a bus is greyed as stale (it leaves the map at feed_max_age_seconds).
map_tile_url            = ""
map_tile_attribution    = ""
map_stale_after_seconds = 30

lambda_architecture    = "x86_64"
lambda_memory_mb       = 256
lambda_timeout_seconds = 30
log_retention_days     = 7

# The ingest function only checks bodies and writes them to the stream.
ingest_memory_mb = 256
# X-Ray active tracing of the ingest and consumer functions: Lambda samples 1 request a second and 5 %
# of the rest of each traced function.
trace_ingest_and_consumer = true

api_throttling_rate_limit  = 50
api_throttling_burst_limit = 100

dynamodb_billing_mode = "PAY_PER_REQUEST"
# Capacity units of each table when dynamodb_billing_mode is PROVISIONED (ignored on demand).
dynamodb_capacity = {
  latest      = { read = 5, write = 5 }
  history     = { read = 5, write = 5 }
  connections = { read = 5, write = 5 }
}
# Provisioned tables scale between their dynamodb_capacity and this many times it, keeping use near
# the target percent (autoscaling's target tracking).
dynamodb_autoscaling_max_factor     = 4
dynamodb_autoscaling_target_percent = 70

domain_name       = ""
alarm_email       = ""
cors_allow_origin = "*"

# The local stack deploys nothing: no account setting to own.
manage_api_gateway_account = false

# The local stack has no WAF.
waf_enabled                = false
waf_rate_limit_per_address = 1000
