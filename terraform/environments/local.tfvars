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

# GTFS-Realtime feed: a bus is left out once its newest fix is this old; the feed is rebuilt (and
# cacheable) once per refresh period.
feed_max_age_seconds = 90
feed_refresh_seconds = 2

consumer_batch_size                     = 100
consumer_batching_window_seconds        = 1
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

api_throttling_rate_limit  = 50
api_throttling_burst_limit = 100

dynamodb_billing_mode = "PAY_PER_REQUEST"
domain_name           = ""
alarm_email           = ""
cors_allow_origin     = "*"
