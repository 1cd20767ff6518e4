resource "aws_kinesis_stream" "positions" {
  name             = var.stream_name
  retention_period = var.retention_hours
  # On-demand streams size themselves; a shard count is only for provisioned ones.
  shard_count     = var.stream_mode == "PROVISIONED" ? var.shard_count : null
  encryption_type = "KMS"
  kms_key_id      = var.kms_key_arn

  stream_mode_details {
    stream_mode = var.stream_mode
  }
}

# Enhanced fan-out: a consumer of its own with dedicated read throughput per shard, to which Kinesis
# pushes records over SubscribeToShard as they arrive (about 70 ms), instead of Lambda polling each
# shard at most once a second per mapping. Billed per consumer-shard hour and per GB read.
resource "aws_kinesis_stream_consumer" "lambda" {
  count      = var.enhanced_fan_out ? 1 : 0
  name       = var.consumer_name
  stream_arn = aws_kinesis_stream.positions.arn
}
