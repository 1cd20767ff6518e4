# Settings of the production environment: `terraform plan -var-file=environments/production.tfvars`.
# Same keys as local.tfvars, which the local stack reads.
environment = "production"
aws_region  = "eu-west-1"

stream_name                 = "busgps-production-positions"
latest_table_name           = "busgps-production-latest"
history_table_name          = "busgps-production-history"
invalid_records_queue_name  = "busgps-production-invalid-records"
consumer_failure_queue_name = "busgps-production-consumer-failures"
user_pool_name              = "busgps-production-devices"
connections_table_name      = "busgps-production-connections"

kinesis_stream_mode     = "ON_DEMAND"
kinesis_shard_count     = 1
kinesis_retention_hours = 168

ttl_seconds    = 3600
ttl_field_name = "expirationTime"

# History keeps every fix this many days from its own time; ttl_seconds is only the latest position's.
history_retention_days = 30

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
feed_refresh_seconds = 10

# Enhanced fan-out: Kinesis pushes records to the consumer's mapping as they arrive (about 70 ms, where
# polling takes up to a second), and each batch is invoked at once: positions visible within half a
# second. Billed per shard-hour of the consumer and per GB read.
consumer_enhanced_fan_out               = true
consumer_batch_size                     = 500
consumer_batching_window_seconds        = 0
consumer_parallelization_factor         = 4
consumer_maximum_retry_attempts         = 5
consumer_maximum_record_age_seconds     = 21600
consumer_bisect_batch_on_function_error = true
consumer_starting_position              = "TRIM_HORIZON"

# Live push: the latest-position table's stream feeds the push function, which sends each WebSocket
# subscriber one message per batch. Every message is billed, so deployed batches gather a few seconds.
push_batch_size                 = 1000
push_batching_window_seconds    = 2
push_maximum_retry_attempts     = 2
push_maximum_record_age_seconds = 60

# The operations map: a tile URL template ({z}/{x}/{y}) and its attribution (none: a plain
# background), and when a bus is greyed as stale (it leaves the map at feed_max_age_seconds).
map_tile_url            = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
map_tile_attribution    = "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors"
map_stale_after_seconds = 30

lambda_architecture    = "arm64"
lambda_memory_mb       = 1024
lambda_timeout_seconds = 30
log_retention_days     = 90

# The ingest function only checks bodies and writes them to the stream.
ingest_memory_mb = 256
# X-Ray active tracing of the ingest and consumer functions: Lambda samples 1 request a second and 5 %
# of the rest of each traced function, about $34 a month at the reference fleet's 33 requests a second.
trace_ingest_and_consumer = false

api_throttling_rate_limit  = 5000
api_throttling_burst_limit = 10000

dynamodb_billing_mode = "PAY_PER_REQUEST"
domain_name           = ""
alarm_email           = ""
cors_allow_origin     = "*"

# Production owns the account-level API Gateway CloudWatch role of its own account.
manage_api_gateway_account = true

# A web ACL in front of production: per client address, 30,000 requests in 5 minutes (100 a second),
# above what a fleet sends from one carrier NAT address.
waf_enabled                = true
waf_rate_limit_per_address = 30000
