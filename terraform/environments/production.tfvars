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

# GTFS-Realtime feed: a bus is left out once its newest fix is this old; the feed is rebuilt (and
# cacheable) once per refresh period.
feed_max_age_seconds = 90
feed_refresh_seconds = 10

consumer_batch_size                     = 500
consumer_batching_window_seconds        = 1
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

api_throttling_rate_limit  = 5000
api_throttling_burst_limit = 10000

dynamodb_billing_mode = "PAY_PER_REQUEST"
domain_name           = ""
alarm_email           = ""
cors_allow_origin     = "*"
