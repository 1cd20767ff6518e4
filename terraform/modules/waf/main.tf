# A regional web ACL in front of the API stage: a per-address rate limit, and AWS's rules against
# request patterns known to exploit software (Log4j's lookups among them).

resource "aws_wafv2_web_acl" "api" {
  name        = var.name
  description = "busgps: rate limit per client address, known bad inputs"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit-per-address"
    priority = 0

    action {
      block {
        # Answered as the API answers its own throttling: JSON saying what to do, with CORS.
        custom_response {
          response_code            = 429
          custom_response_body_key = "too-many-requests"
          response_header {
            name  = "Access-Control-Allow-Origin"
            value = var.cors_allow_origin
          }
        }
      }
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit_per_address
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "known-bad-inputs"
    priority = 1

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  custom_response_body {
    key          = "too-many-requests"
    content_type = "APPLICATION_JSON"
    content = jsonencode({
      error = "too many requests from this address: retry with exponential backoff"
      hint  = "the API accepts at most ${var.rate_limit_per_address} requests per 5 minutes from one address"
    })
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

# WAF delivers its logs only to a log group whose name starts with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "waf" {
  #checkov:skip=CKV_AWS_338:Kept log_retention_days like every log group of the environment; a year of request logs would cost more than it tells.
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_wafv2_web_acl_logging_configuration" "api" {
  resource_arn            = aws_wafv2_web_acl.api.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  # Devices send their id token in Authorization: it must not reach the logs.
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
}
