"""AWS's unit prices the cost planner uses, written once, with where they come from.

On-demand list prices of US East (N. Virginia), as published on the pricing pages below, checked on
PRICES_CHECKED. eu-west-1, the tfvars files' region, costs a few percent more for most of them. The
allowances are AWS's always-free tier (not the 12-month one): counted once, as if the environment
were alone in its account.
"""

PRICES_CHECKED = "2026-12-03"
HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GB = 1024**3

SOURCES = {
    "API Gateway": "https://aws.amazon.com/api-gateway/pricing/",
    "CloudFront": "https://aws.amazon.com/cloudfront/pricing/",
    "CloudWatch": "https://aws.amazon.com/cloudwatch/pricing/",
    "Cognito": "https://aws.amazon.com/cognito/pricing/",
    "Data transfer": "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer",
    "DynamoDB": "https://aws.amazon.com/dynamodb/pricing/",
    "Kinesis": "https://aws.amazon.com/kinesis/data-streams/pricing/",
    "KMS": "https://aws.amazon.com/kms/pricing/",
    "Lambda": "https://aws.amazon.com/lambda/pricing/",
    "SQS": "https://aws.amazon.com/sqs/pricing/",
    "WAF": "https://aws.amazon.com/waf/pricing/",
    "X-Ray": "https://aws.amazon.com/xray/pricing/",
}

# API Gateway: requests (tiers: the first N a month at this price a million, then the next).
REST_REQUEST_TIERS = ((333e6, 3.50), (667e6, 2.80), (19e9, 2.38), (float("inf"), 1.51))
HTTP_REQUEST_TIERS = ((300e6, 1.00), (float("inf"), 0.90))
WEBSOCKET_MESSAGE_TIERS = ((1e9, 1.00), (float("inf"), 0.80))
WEBSOCKET_MESSAGE_UNIT_BYTES = 32 * 1024  # a message is billed per 32 KB
WEBSOCKET_CONNECTION_MINUTE = 0.25 / 1e6

# Kinesis Data Streams.
KINESIS_SHARD_HOUR = 0.015
KINESIS_PUT_UNIT = 0.014 / 1e6  # per 25 KB of a record
KINESIS_PUT_UNIT_BYTES = 25 * 1024
KINESIS_EXTENDED_RETENTION_SHARD_HOUR = 0.02  # 24 h to 7 days
KINESIS_ON_DEMAND_STREAM_HOUR = 0.04
KINESIS_ON_DEMAND_IN_GB = 0.08  # each record counted as at least 1 KB
KINESIS_ON_DEMAND_OUT_GB = 0.04
KINESIS_ON_DEMAND_RETENTION_GB_MONTH = 0.10
# Enhanced fan-out: a consumer's shard-hours and the data it reads (provisioned); per GB read (on demand).
KINESIS_EFO_CONSUMER_SHARD_HOUR = 0.015
KINESIS_EFO_GB = 0.013
KINESIS_ON_DEMAND_EFO_GB = 0.05

# Lambda, arm64 (x86_64 is a quarter dearer a GB-second).
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
LAMBDA_FREE_REQUESTS = 1e6
LAMBDA_FREE_GB_SECONDS = 400_000

# DynamoDB, Standard table class.
DYNAMODB_WRITE_UNIT = 0.625 / 1e6
DYNAMODB_READ_UNIT = 0.125 / 1e6
DYNAMODB_WCU_HOUR = 0.00065
DYNAMODB_RCU_HOUR = 0.00013
DYNAMODB_STORAGE_GB_MONTH = 0.25
DYNAMODB_FREE_STORAGE_GB = 25
DYNAMODB_PITR_GB_MONTH = 0.20
DYNAMODB_ITEM_OVERHEAD_BYTES = 100

# CloudWatch.
LOGS_INGESTED_GB = 0.50
LOGS_FREE_GB = 5
ALARM_MONTH = 0.10
CUSTOM_METRIC_MONTH = 0.30

# X-Ray.
XRAY_TRACE = 5.00 / 1e6
XRAY_FREE_TRACES = 100_000

# CloudFront, North America and Europe (PriceClass_100).
CLOUDFRONT_HTTPS_REQUEST = 0.0100 / 10_000
CLOUDFRONT_OUT_GB = 0.085
CLOUDFRONT_FREE_REQUESTS = 10e6
CLOUDFRONT_FREE_OUT_GB = 1024
CLOUDFRONT_ORIGIN_SHIELD_REQUEST = 0.0075 / 10_000

# Data transfer out to the internet from a region (API Gateway's answers), after the free 100 GB.
DATA_OUT_GB = 0.09
DATA_OUT_FREE_GB = 100

# WAF: a web ACL, its rules, and the requests it inspects.
WAF_WEB_ACL_MONTH = 5.00
WAF_RULE_MONTH = 1.00
WAF_REQUEST = 0.60 / 1e6

# KMS: a customer managed key, and its requests after the free 20,000.
KMS_KEY_MONTH = 1.00
KMS_REQUEST = 0.03 / 10_000
KMS_FREE_REQUESTS = 20_000

# Cognito user pools (Lite): monthly active users beyond the free 10,000.
COGNITO_FREE_MONTHLY_ACTIVE_USERS = 10_000
COGNITO_MONTHLY_ACTIVE_USER = 0.0055


def tiered(quantity: float, tiers: tuple[tuple[float, float], ...]) -> float:
    """The price of `quantity` requests (or messages) billed by tiers of (count, USD per million)."""
    total, remaining = 0.0, quantity
    for count, price_per_million in tiers:
        billed = min(remaining, count)
        total += billed * price_per_million / 1e6
        remaining -= billed
        if remaining <= 0:
            break
    return total
