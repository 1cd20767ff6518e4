locals {
  provisioned = var.billing_mode == "PROVISIONED"

  # Provisioned capacity scales between each table's own units (the floor) and autoscaling_max_factor
  # times them, keeping use near autoscaling_target_percent: a fleet's steady load at the price of
  # provisioned units, its bursts and growth without throttling.
  tables = {
    latest      = aws_dynamodb_table.latest.name
    history     = aws_dynamodb_table.history.name
    connections = aws_dynamodb_table.connections.name
  }
  scaled = local.provisioned ? merge([
    for table, name in local.tables : {
      for kind in ["read", "write"] : "${table}-${kind}" => {
        table_name = name
        kind       = kind
        units      = var.capacity[table][kind]
      }
    }
  ]...) : {}
  scaling_dimension = { read = "ReadCapacityUnits", write = "WriteCapacityUnits" }
  scaling_metric    = { read = "DynamoDBReadCapacityUtilization", write = "DynamoDBWriteCapacityUtilization" }
}

# The latest position of each bus: one item per bus, overwritten as positions arrive. Its stream
# (the new image of each change) feeds the push function: only what became a bus's latest is pushed.
resource "aws_dynamodb_table" "latest" {
  #checkov:skip=CKV2_AWS_16:Provisioned, its units scale with aws_appautoscaling_target.capacity (for_each over the tables), which checkov does not link to it; on demand needs none.
  name                        = var.latest_table_name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.capacity.latest.read : null
  write_capacity              = local.provisioned ? var.capacity.latest.write : null
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

  # Autoscaling moves the provisioned units between the floor and the ceiling.
  lifecycle {
    ignore_changes = [read_capacity, write_capacity]
  }
}

# Every kept fix, packed several to an item (busgps.dal.history): each bus's chunks under
# pk = bus#<busId>, the fleet's minute windows under pk = window#<minute>; expired by TTL after the
# retention of history.
resource "aws_dynamodb_table" "history" {
  #checkov:skip=CKV2_AWS_16:Provisioned, its units scale with aws_appautoscaling_target.capacity (for_each over the tables), which checkov does not link to it; on demand needs none.
  name                        = var.history_table_name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.capacity.history.read : null
  write_capacity              = local.provisioned ? var.capacity.history.write : null
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

  # Autoscaling moves the provisioned units between the floor and the ceiling.
  lifecycle {
    ignore_changes = [read_capacity, write_capacity]
  }
}

# Open WebSocket connections and their subscriptions. An item expires when API Gateway closes its
# connection anyway (2 hours), so one whose $disconnect was lost does not stay.
resource "aws_dynamodb_table" "connections" {
  #checkov:skip=CKV2_AWS_16:Provisioned, its units scale with aws_appautoscaling_target.capacity (for_each over the tables), which checkov does not link to it; on demand needs none.
  name                        = var.connections_table_name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.capacity.connections.read : null
  write_capacity              = local.provisioned ? var.capacity.connections.write : null
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

  # Autoscaling moves the provisioned units between the floor and the ceiling.
  lifecycle {
    ignore_changes = [read_capacity, write_capacity]
  }
}

resource "aws_appautoscaling_target" "capacity" {
  for_each = local.scaled

  service_namespace  = "dynamodb"
  resource_id        = "table/${each.value.table_name}"
  scalable_dimension = "dynamodb:table:${local.scaling_dimension[each.value.kind]}"
  min_capacity       = each.value.units
  max_capacity       = each.value.units * var.autoscaling_max_factor
}

resource "aws_appautoscaling_policy" "capacity" {
  for_each = local.scaled

  name               = "${each.value.table_name}-${each.value.kind}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.capacity[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.capacity[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.capacity[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = var.autoscaling_target_percent
    predefined_metric_specification {
      predefined_metric_type = local.scaling_metric[each.value.kind]
    }
  }
}
