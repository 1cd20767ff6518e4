locals {
  provisioned = var.billing_mode == "PROVISIONED"
}

# The latest position of each bus: one item per bus, overwritten as positions arrive.
resource "aws_dynamodb_table" "latest" {
  name                        = var.latest_table_name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  hash_key                    = "busId"
  deletion_protection_enabled = var.deletion_protection

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
