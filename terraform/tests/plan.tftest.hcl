# A plan of an environment with the real AWS provider (its schema, defaults and validation) and no
# account: no credentials, no call to AWS.
#   make package && cd terraform && terraform init -backend=false \
#     && terraform test -var-file=environments/sandbox.tfvars
# tests/infra plans every environment with this file and checks what the plans create.
#
# Stood in for, since only AWS can know them: the account and CloudFront's managed policies (the data
# sources that would call AWS) and the identifiers AWS assigns when it creates a resource (ARNs, ids,
# URLs), fixed at plan time so that the policies and the API document that name them are known too.
# Every value the configuration decides comes from the provider's own plan.

provider "aws" {
  region                      = var.aws_region
  access_key                  = "plan-only"
  secret_key                  = "plan-only"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

override_data {
  target = module.kms.data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = module.api_gateway.data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = module.monitoring.data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = module.s3.data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

# CloudFront's managed policies, looked up by name.
override_data {
  target = module.cloudfront.data.aws_cloudfront_cache_policy.caching_disabled
  values = { id = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" }
}

override_data {
  target = module.cloudfront.data.aws_cloudfront_cache_policy.caching_optimized
  values = { id = "658327ea-f89d-4fab-a63d-7e88639e58f6" }
}

override_data {
  target = module.cloudfront.data.aws_cloudfront_origin_request_policy.all_viewer_except_host
  values = { id = "b689b0a8-53d0-40ab-baf2-68738e2966ac" }
}

override_resource {
  target          = module.kms.aws_kms_key.this
  override_during = plan
  values = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-0000-4000-8000-00000000000a"
    key_id = "0a1b2c3d-0000-4000-8000-00000000000a"
  }
}

override_resource {
  target          = module.kinesis.aws_kinesis_stream.positions
  override_during = plan
  values          = { arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/planned-positions" }
}

override_resource {
  target          = module.kinesis.aws_kinesis_stream_consumer.lambda
  override_during = plan
  values          = { arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/planned-positions/consumer/planned-consumer:1767225600" }
}

override_resource {
  target          = module.dynamodb.aws_dynamodb_table.latest
  override_during = plan
  values = {
    arn        = "arn:aws:dynamodb:eu-west-1:123456789012:table/planned-latest"
    stream_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/planned-latest/stream/2026-01-01T00:00:00.000"
  }
}

override_resource {
  target          = module.dynamodb.aws_dynamodb_table.connections
  override_during = plan
  values          = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/planned-connections" }
}

override_resource {
  target          = module.dynamodb.aws_dynamodb_table.history
  override_during = plan
  values          = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/planned-history" }
}

override_resource {
  target          = module.sqs.aws_sqs_queue.invalid_records
  override_during = plan
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:planned-invalid-records"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/planned-invalid-records"
  }
}

override_resource {
  target          = module.sqs.aws_sqs_queue.consumer_failures
  override_during = plan
  values = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:planned-consumer-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/planned-consumer-failures"
  }
}

override_resource {
  target          = module.cognito.aws_cognito_user_pool.devices
  override_during = plan
  values = {
    id       = "eu-west-1_PlannedPool"
    arn      = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_PlannedPool"
    endpoint = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PlannedPool"
  }
}

override_resource {
  target          = module.cognito.aws_cognito_user_pool_client.devices
  override_during = plan
  values          = { id = "plannedappclient" }
}

override_resource {
  target          = module.lambda.aws_cloudwatch_log_group.consumer
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:planned-consumer-logs" }
}

override_resource {
  target          = module.lambda.aws_cloudwatch_log_group.api
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:planned-api-logs" }
}

override_resource {
  target          = module.lambda.aws_iam_role.consumer
  override_during = plan
  values = {
    id  = "planned-consumer-role"
    arn = "arn:aws:iam::123456789012:role/planned-consumer-role"
  }
}

override_resource {
  target          = module.lambda.aws_iam_role.api
  override_during = plan
  values = {
    id  = "planned-api-role"
    arn = "arn:aws:iam::123456789012:role/planned-api-role"
  }
}

override_resource {
  target          = module.lambda.aws_iam_role.ingest
  override_during = plan
  values = {
    id  = "planned-ingest-role"
    arn = "arn:aws:iam::123456789012:role/planned-ingest-role"
  }
}

override_resource {
  target          = module.lambda.aws_cloudwatch_log_group.ingest
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:planned-ingest-logs" }
}

override_resource {
  target          = module.lambda.aws_lambda_function.ingest
  override_during = plan
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:planned-ingest"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:planned-ingest/invocations"
  }
}

override_resource {
  target          = module.lambda.aws_lambda_function.consumer
  override_during = plan
  values          = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:planned-consumer" }
}

override_resource {
  target          = module.lambda.aws_lambda_function.api
  override_during = plan
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:planned-api"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:planned-api/invocations"
  }
}

override_resource {
  target          = module.api_gateway.aws_iam_role.cloudwatch
  override_during = plan
  values = {
    id  = "planned-api-gateway-cloudwatch-role"
    arn = "arn:aws:iam::123456789012:role/planned-api-gateway-cloudwatch-role"
  }
}

override_resource {
  target          = module.api_gateway.aws_api_gateway_rest_api.this
  override_during = plan
  values = {
    id            = "plannedapi"
    arn           = "arn:aws:apigateway:eu-west-1::/restapis/plannedapi"
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:plannedapi"
  }
}

override_resource {
  target          = module.api_gateway.aws_apigatewayv2_api.ingest
  override_during = plan
  values = {
    id            = "plannedingest"
    api_endpoint  = "https://plannedingest.execute-api.eu-west-1.amazonaws.com"
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:plannedingest"
  }
}

override_resource {
  target          = module.api_gateway.aws_cloudwatch_log_group.ingest_access
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:planned-ingest-access-logs" }
}

override_resource {
  target          = module.api_gateway.aws_cloudwatch_log_group.access
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:planned-access-logs" }
}

override_resource {
  target          = module.api_gateway.aws_api_gateway_stage.this
  override_during = plan
  values = {
    arn        = "arn:aws:apigateway:eu-west-1::/restapis/plannedapi/stages/planned"
    invoke_url = "https://plannedapi.execute-api.eu-west-1.amazonaws.com/planned"
  }
}

override_resource {
  target          = module.waf[0].aws_wafv2_web_acl.api
  override_during = plan
  values          = { arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/planned/0a1b2c3d" }
}

override_resource {
  target          = module.waf[0].aws_cloudwatch_log_group.waf
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-planned" }
}

override_resource {
  target          = module.monitoring.aws_sns_topic.alarms
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:planned-alarms" }
}

run "plan" {
  command = plan

  assert {
    condition     = length(module.route53) == (var.domain_name != "" ? 1 : 0)
    error_message = "The route53 module must exist exactly when domain_name is set."
  }
}

run "plan_with_custom_domain" {
  command = plan

  variables {
    domain_name = "api.busgps.example.com"
  }

  override_data {
    target = module.route53[0].data.aws_route53_zone.this
    values = { zone_id = "ZPLANNEDZONE", name = "busgps.example.com" }
  }

  override_resource {
    target          = module.route53[0].aws_route53_record.api
    override_during = plan
    values          = { fqdn = "api.busgps.example.com" }
  }

  assert {
    condition     = length(module.route53) == 1
    error_message = "A domain_name must bring the route53 module."
  }
}

# Live push: the WebSocket API, its functions, and the operations map's bucket behind the CDN.

override_resource {
  target          = module.lambda.aws_cloudwatch_log_group.push
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:planned-push-logs" }
}

override_resource {
  target          = module.lambda.aws_cloudwatch_log_group.websocket
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:planned-websocket-logs" }
}

override_resource {
  target          = module.lambda.aws_iam_role.push
  override_during = plan
  values = {
    id  = "planned-push-role"
    arn = "arn:aws:iam::123456789012:role/planned-push-role"
  }
}

override_resource {
  target          = module.lambda.aws_iam_role.websocket
  override_during = plan
  values = {
    id  = "planned-websocket-role"
    arn = "arn:aws:iam::123456789012:role/planned-websocket-role"
  }
}

override_resource {
  target          = module.lambda.aws_lambda_function.push
  override_during = plan
  values          = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:planned-push" }
}

override_resource {
  target          = module.lambda.aws_lambda_function.websocket
  override_during = plan
  values = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:planned-websocket"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:planned-websocket/invocations"
  }
}

override_resource {
  target          = module.api_gateway.aws_apigatewayv2_api.websocket
  override_during = plan
  values = {
    id            = "plannedws"
    arn           = "arn:aws:apigateway:eu-west-1::/apis/plannedws"
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:plannedws"
    api_endpoint  = "wss://plannedws.execute-api.eu-west-1.amazonaws.com"
  }
}

override_resource {
  target          = module.api_gateway.aws_cloudwatch_log_group.websocket_access
  override_during = plan
  values          = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:planned-websocket-access-logs" }
}

override_resource {
  target          = module.api_gateway.aws_apigatewayv2_stage.websocket
  override_during = plan
  values = {
    arn        = "arn:aws:apigateway:eu-west-1::/apis/plannedws/stages/planned"
    invoke_url = "wss://plannedws.execute-api.eu-west-1.amazonaws.com/planned"
  }
}

override_resource {
  target          = module.s3.aws_s3_bucket.map
  override_during = plan
  values = {
    id                          = "planned-map"
    arn                         = "arn:aws:s3:::planned-map"
    bucket_regional_domain_name = "planned-map.s3.eu-west-1.amazonaws.com"
  }
}

override_resource {
  target          = module.cloudfront.aws_cloudfront_distribution.this
  override_during = plan
  values = {
    arn         = "arn:aws:cloudfront::123456789012:distribution/EPLANNED"
    domain_name = "dplanned.cloudfront.net"
  }
}
