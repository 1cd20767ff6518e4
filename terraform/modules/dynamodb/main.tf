locals {
  provisioned = var.billing_mode == "PROVISIONED"
}

# The latest position of each bus: one item per bus, overwritten as positions arrive. Its stream
# (the new image of each change) feeds the push function: only what became a bus's latest is pushed.
resource "aws_dynamodb_table" "latest" {
  name                        = var.latest_table_name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  hash_key                    = "busId"
  deletion_protection_enabled = var.deletion_protection
  stream_enabled              = true
  stream_view_type            = "NEW_IMAGE"

  attribute {
    name = "busId"
    type = "S"
  }

  ttl {
    attribute_name = var.ttl_field_name
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

# Every kept fix, packed several to an item (busgps.dal.history): each bus's chunks under
# pk = bus#<busId>, the fleet's minute windows under pk = window#<minute>; expired by TTL after the
# retention of history.
resource "aws_dynamodb_table" "history" {
  name                        = var.history_table_name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = var.ttl_field_name
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

# Open WebSocket connections and their subscriptions. An item expires when API Gateway closes its
# connection anyway (2 hours), so one whose $disconnect was lost does not stay.
resource "aws_dynamodb_table" "connections" {
  name                        = var.connections_table_name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  hash_key                    = "connectionId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "connectionId"
    type = "S"
  }

  ttl {
    attribute_name = var.ttl_field_name
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}
