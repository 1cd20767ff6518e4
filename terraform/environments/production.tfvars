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

kinesis_stream_mode     = "PROVISIONED"
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

# Enhanced fan-out (Kinesis pushes records to the mapping as they arrive, about 70 ms, with no batching
# window: positions visible within half a second) is off here: the reference fleet's devices send 6
# fixes every 30 s, so a fix is seconds old when it arrives and the 1 s window adds little, while
# a batch per arrival would multiply invocations, window items and log lines (`busgps cost` prices it).
consumer_enhanced_fan_out               = false
consumer_batch_size                     = 500
consumer_batching_window_seconds        = 1
consumer_parallelization_factor         = 1
consumer_maximum_retry_attempts         = 5
consumer_maximum_record_age_seconds     = 21600
consumer_bisect_batch_on_function_error = true
consumer_starting_position              = "TRIM_HORIZON"

# Live push: the latest-position table's stream feeds the push function, which sends each WebSocket
# subscriber one message per batch. Every 32 KB message is billed, so deployed batches gather a few
# seconds: 3 s holds the reference fleet's ~100 changed buses (of the map's fields) in one message.
push_batch_size                 = 1000
push_batching_window_seconds    = 3
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

dynamodb_billing_mode = "PROVISIONED"
# Capacity units of each table when dynamodb_billing_mode is PROVISIONED (ignored on demand): the
# floor autoscaling keeps, sized by `busgps cost` for the reference fleet (1,000 buses, a fix every
# 5 s, 6 a request) at 70 % use. A steady fleet costs less than half of on demand so; a burst beyond
# what autoscaling has added is retried by the consumer.
dynamodb_capacity = {
  latest      = { read = 40, write = 50 }
  history     = { read = 10, write = 60 }
  connections = { read = 5, write = 5 }
}
# Provisioned tables scale between their dynamodb_capacity and this many times it, keeping use near
# the target percent (autoscaling's target tracking).
dynamodb_autoscaling_max_factor     = 4
dynamodb_autoscaling_target_percent = 70

domain_name       = ""
alarm_email       = ""
cors_allow_origin = "*"

# Production owns the account-level API Gateway CloudWatch role of its own account.
manage_api_gateway_account = true

# A web ACL in front of production: per client address, 30,000 requests in 5 minutes (100 a second),
# above what a fleet sends from one carrier NAT address.
waf_enabled                = true
waf_rate_limit_per_address = 30000
