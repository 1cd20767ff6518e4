variable "latest_table_name" {
  type        = string
  description = "Name of the table of the latest position of each bus (hash key busId)."
}

variable "history_table_name" {
  type        = string
  description = "Name of the table of every kept fix (hash key pk, range key sk)."
}

variable "connections_table_name" {
  type        = string
  description = "Name of the table of open WebSocket connections (hash key connectionId)."
}

variable "ttl_field_name" {
  type        = string
  description = "Attribute holding each item's expiry time in epoch seconds (the functions' TTL_FIELD_NAME)."
}

variable "billing_mode" {
  type        = string
  description = "PAY_PER_REQUEST (on demand) or PROVISIONED (fixed read and write capacity)."

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "capacity" {
  type = object({
    latest      = object({ read = number, write = number })
    history     = object({ read = number, write = number })
    connections = object({ read = number, write = number })
  })
  description = "Read and write capacity units of each table when billing_mode is PROVISIONED (ignored on demand), the floor autoscaling keeps; `busgps cost` says what a fleet needs."

  validation {
    condition = alltrue([
      for table in values(var.capacity) : table.read >= 1 && table.write >= 1 && floor(table.read) == table.read && floor(table.write) == table.write
    ])
    error_message = "Each table's read and write capacity must be a whole number of at least 1."
  }
}

variable "autoscaling_max_factor" {
  type        = number
  description = "When PROVISIONED, how many times its `capacity` a table's units may grow to under load."

  validation {
    condition     = var.autoscaling_max_factor >= 1
    error_message = "autoscaling_max_factor must be at least 1."
  }
}

variable "autoscaling_target_percent" {
  type        = number
  description = "When PROVISIONED, the use of its units autoscaling keeps each table near, in percent (20 to 90)."

  validation {
    condition     = var.autoscaling_target_percent >= 20 && var.autoscaling_target_percent <= 90
    error_message = "autoscaling_target_percent must be between 20 and 90, as Application Auto Scaling requires for DynamoDB."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Whether the tables refuse deletion until the protection is turned off."
  default     = false
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer managed key that encrypts both tables."
}
