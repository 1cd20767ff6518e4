"""The data layer: the only code that talks to DynamoDB (and to the dead-letter queue)."""
