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

# Every position of every bus, in time order within a bus; expired by TTL.
resource "aws_dynamodb_table" "history" {
  name                        = var.history_table_name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  hash_key                    = "busId"
  range_key                   = "positionTimeMs"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "busId"
    type = "S"
  }

  attribute {
    name = "positionTimeMs"
    type = "N"
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
