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
