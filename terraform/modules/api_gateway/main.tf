data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  # The one definition of each API, shared with the local stack. These are exactly the placeholders
  # each template uses; templatefile fails on any it does not get. Decoding the YAML expands its
  # aliases, so API Gateway gets every shared response written out, as JSON.
  openapi_body = jsonencode(yamldecode(templatefile(var.openapi_template_path, {
    stream_name             = var.stream_name
    api_function_invoke_arn = var.api_function_invoke_arn
    cors_allow_origin       = var.cors_allow_origin
  })))
  ingest_openapi_body = jsonencode(yamldecode(templatefile(var.ingest_openapi_template_path, {
    stream_name                = var.stream_name
    ingest_function_invoke_arn = var.ingest_function_invoke_arn
    user_pool_issuer           = var.user_pool_issuer
    app_client_id              = var.app_client_id
    cors_allow_origin          = var.cors_allow_origin
  })))

  # The WebSocket protocol's one definition: its route selection expression and route keys.
  websocket_protocol = jsondecode(file(var.websocket_schema_path))
  websocket_routes   = keys(local.websocket_protocol["x-routes"])

  # The execution log group API Gateway writes to; created here so it has a retention and a key.
  execution_log_group_name = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
}

# ---------------------------------------------------------------------------------------------
# The REST API of the reads, its deployment and stage.
# ---------------------------------------------------------------------------------------------

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "busgps: bus positions out (the query function)"
  body        = local.openapi_body

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # Any change to the rendered document makes a new deployment.
  triggers = {
    redeployment = sha1(local.openapi_body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_group" "execution" {
  name              = local.execution_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Positions change every few seconds; a cache would serve stale ones and bill by the hour.
  #checkov:skip=CKV2_AWS_77:The web ACL of the waf module carries AWSManagedRulesKnownBadInputsRuleSet (Log4j); checkov cannot follow its ARN across modules, the plan tests do.
  #checkov:skip=CKV2_AWS_51:The reads are public, and devices post to the HTTP API with Cognito id tokens; client certificates would need a certificate per bus.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      path               = "$context.path"
      protocol           = "$context.protocol"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      integrationError   = "$context.integration.error"
      authorizerError    = "$context.authorizer.error"
      errorMessage       = "$context.error.message"
      principal          = "$context.authorizer.claims.sub"
      xrayTraceId        = "$context.xrayTraceId"
    })
  }

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

# The web ACL in front of the stage, where the environment has one.
resource "aws_wafv2_web_acl_association" "stage" {
  count = var.waf_enabled ? 1 : 0

  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.web_acl_arn
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:Positions change every few seconds; a cache would serve stale ones and bill by the hour.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
    caching_enabled        = false
    cache_data_encrypted   = true
  }
}

# ---------------------------------------------------------------------------------------------
# The HTTP API of the devices' POST routes (a third of the REST API's price a request): a JWT
# authorizer and the ingest function, from api/ingest.yaml; its $default stage deploys each change.
# ---------------------------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "ingest" {
  name          = "${var.name}-ingest"
  description   = "busgps: bus positions in (the ingest function, to Kinesis)"
  protocol_type = "HTTP"
  body          = local.ingest_openapi_body
}

resource "aws_cloudwatch_log_group" "ingest_access" {
  name              = "/aws/apigateway/${var.name}/ingest-access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_apigatewayv2_stage" "ingest" {
  api_id      = aws_apigatewayv2_api.ingest.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.ingest_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
      authorizerError    = "$context.authorizer.error"
      errorMessage       = "$context.error.message"
      principal          = "$context.authorizer.claims.sub"
    })
  }
}

# ---------------------------------------------------------------------------------------------
# The account-level role API Gateway uses to write execution and access logs.
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "api_gateway_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cloudwatch" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  name               = "${var.name}-api-gateway-cloudwatch"
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume_role.json
}

data "aws_iam_policy_document" "cloudwatch" {
  statement {
    sid = "WriteApiGatewayLogs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = [
      "arn:aws:logs:${local.region}:${local.account_id}:log-group:API-Gateway-Execution-Logs_*",
      "arn:aws:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/*",
    ]
  }

  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:aws:logs:${local.region}:${local.account_id}:log-group:*"]
  }
}

resource "aws_iam_role_policy" "cloudwatch" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  name   = "write-api-gateway-logs"
  role   = aws_iam_role.cloudwatch[0].id
  policy = data.aws_iam_policy_document.cloudwatch.json
}

# One per account and region: set it here unless another stack already owns it.
resource "aws_api_gateway_account" "this" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn

  depends_on = [aws_iam_role_policy.cloudwatch]
}

# ---------------------------------------------------------------------------------------------
# The WebSocket API: live positions for the operations map and other subscribers.
# ---------------------------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "websocket" {
  name                       = "${var.name}-live"
  description                = "busgps: live bus positions over WebSocket"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = local.websocket_protocol["x-route-selection-expression"]
}

resource "aws_apigatewayv2_integration" "websocket" {
  api_id             = aws_apigatewayv2_api.websocket.id
  integration_type   = "AWS_PROXY"
  integration_method = "POST"
  integration_uri    = var.websocket_function_invoke_arn
}

# Every route goes to the one function, which dispatches on the route key. Answers go back through
# the management API (PostToConnection), so no route has a route response.
resource "aws_apigatewayv2_route" "websocket" {
  #checkov:skip=CKV_AWS_309:The live positions are public, as GET /v1/buses is; the stage's throttling bounds abuse.
  for_each = toset(local.websocket_routes)

  api_id             = aws_apigatewayv2_api.websocket.id
  route_key          = each.value
  authorization_type = "NONE"
  target             = "integrations/${aws_apigatewayv2_integration.websocket.id}"
}

resource "aws_apigatewayv2_deployment" "websocket" {
  api_id = aws_apigatewayv2_api.websocket.id

  # Any change to a route or the integration makes a new deployment.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_apigatewayv2_integration.websocket.integration_uri,
      [for route in aws_apigatewayv2_route.websocket : [route.route_key, route.target]],
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "websocket_access" {
  name              = "/aws/apigateway/${var.name}-live/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_apigatewayv2_stage" "websocket" {
  #checkov:skip=CKV2_AWS_51:Dispatchers' browsers open the socket; browsers cannot present a client certificate to a WebSocket API.
  api_id        = aws_apigatewayv2_api.websocket.id
  name          = var.stage_name
  deployment_id = aws_apigatewayv2_deployment.websocket.id

  default_route_settings {
    throttling_rate_limit    = var.throttling_rate_limit
    throttling_burst_limit   = var.throttling_burst_limit
    detailed_metrics_enabled = true
    logging_level            = var.logging_level
    data_trace_enabled       = false
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.websocket_access.arn
    format = jsonencode({
      requestId        = "$context.requestId"
      requestTime      = "$context.requestTime"
      ip               = "$context.identity.sourceIp"
      userAgent        = "$context.identity.userAgent"
      connectionId     = "$context.connectionId"
      eventType        = "$context.eventType"
      routeKey         = "$context.routeKey"
      status           = "$context.status"
      integrationError = "$context.integrationErrorMessage"
      errorMessage     = "$context.error.message"
    })
  }

  depends_on = [aws_api_gateway_account.this]
}
