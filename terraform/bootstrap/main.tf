# The role CI's jobs of one environment assume (GitLab OIDC), with the rights Terraform needs to
# plan, apply and destroy that environment, and the smoke test's. An administrator applies it once
# per environment, before the first pipeline: CI cannot grant itself its own rights.
#
# Scoped to the environment wherever AWS allows: by name (busgps-<env>-*, the names every tfvars
# file gives), or by the Environment tag every resource carries where the names are AWS's (the KMS
# key, the user pool). API Gateway's and ACM's identifiers are AWS's and untaggable at creation: those
# are scoped to the region. The role itself is named busgps-ci-<env>, outside busgps-<env>-*, so it
# cannot change its own rights.

data "aws_caller_identity" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = var.aws_region
  prefix  = "busgps-${var.environment}"
  gitlab  = trimprefix(var.gitlab_url, "https://")

  # The roles Terraform hands to services, exactly: the functions' to Lambda, and (where this
  # environment owns it) the account's CloudWatch role to API Gateway.
  roles_passed_to_lambda = [
    "arn:aws:iam::${local.account}:role/${local.prefix}-consumer",
    "arn:aws:iam::${local.account}:role/${local.prefix}-api",
    "arn:aws:iam::${local.account}:role/${local.prefix}-push",
    "arn:aws:iam::${local.account}:role/${local.prefix}-websocket",
    "arn:aws:iam::${local.account}:role/${local.prefix}-ingest",
  ]
  roles_passed_to_api_gateway = var.manage_api_gateway_account ? ["arn:aws:iam::${local.account}:role/${local.prefix}-api-gateway-cloudwatch"] : []
}

locals {
  web_acl_statements = [
    {
      sid     = "WebAcl"
      actions = ["wafv2:*"]
      resources = [
        "arn:aws:wafv2:${local.region}:${local.account}:regional/webacl/${local.prefix}/*",
        "arn:aws:wafv2:${local.region}:${local.account}:regional/managedruleset/*/*",
        "arn:aws:apigateway:${local.region}::/restapis/*/stages/*",
      ]
      conditions = []
    },
    {
      sid        = "AssociateTheWebAclWithTheStage"
      actions    = ["apigateway:SetWebACL"]
      resources  = ["arn:aws:apigateway:${local.region}::/restapis/*/stages/*"]
      conditions = []
    },
  ]

  domain_statements = [
    {
      sid        = "RequestTheCertificate"
      actions    = ["acm:AddTagsToCertificate", "acm:RequestCertificate"]
      resources  = ["*"]
      conditions = [{ test = "StringEquals", variable = "aws:RequestTag/Environment", values = [var.environment] }]
    },
    {
      sid = "TheCertificate"
      actions = [
        "acm:DeleteCertificate",
        "acm:DescribeCertificate",
        "acm:ListTagsForCertificate",
        "acm:RemoveTagsFromCertificate",
      ]
      resources  = ["arn:aws:acm:${local.region}:${local.account}:certificate/*"]
      conditions = []
    },
    {
      sid = "FindTheZone"
      actions = [
        "route53:GetChange",
        "route53:GetHostedZone",
        "route53:ListHostedZones",
        "route53:ListResourceRecordSets",
        "route53:ListTagsForResource",
      ]
      resources  = ["*"]
      conditions = []
    },
    {
      # Only the domain's own records, and its certificate's validation records below it.
      sid       = "TheDomainsRecords"
      actions   = ["route53:ChangeResourceRecordSets"]
      resources = ["arn:aws:route53:::hostedzone/*"]
      conditions = [{
        test     = "ForAllValues:StringLike"
        variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
        values   = [var.domain_name, "*.${var.domain_name}"]
      }]
    },
  ]
}

resource "aws_iam_openid_connect_provider" "gitlab" {
  count = var.create_oidc_provider ? 1 : 0

  url            = var.gitlab_url
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "GitLabPipelinesOfTheProject"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::${local.account}:oidc-provider/${local.gitlab}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.gitlab}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "${local.gitlab}:sub"
      values   = [for ref in var.allowed_refs : "project_path:${var.gitlab_project_path}:${ref}"]
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "busgps-ci-${var.environment}"
  description          = "GitLab CI of busgps ${var.environment}: terraform plan, apply, destroy and the smoke test"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "deploy" {
  #checkov:skip=CKV_AWS_356:Only creation calls, listings and the log delivery of the HTTP API's and WAF's logs, which AWS authorizes on no narrower resource, are on "*"; creations are conditioned on the environment's tag.
  #checkov:skip=CKV_AWS_111:Writes on "*" are creations conditioned on the environment's tag, and the log delivery of the HTTP API's and WAF's logs, which AWS authorizes on no narrower resource.
  #checkov:skip=CKV_AWS_109:The log resource policy that log delivery (HTTP API access logs, WAF logs) needs is account-wide by AWS's design; role rights are scoped to the environment's names.

  statement {
    sid       = "Streams"
    actions   = ["kinesis:*"]
    resources = ["arn:aws:kinesis:${local.region}:${local.account}:stream/${local.prefix}-*"]
  }

  statement {
    sid       = "Tables"
    actions   = ["dynamodb:*"]
    resources = ["arn:aws:dynamodb:${local.region}:${local.account}:table/${local.prefix}-*"]
  }

  statement {
    sid       = "Queues"
    actions   = ["sqs:*"]
    resources = ["arn:aws:sqs:${local.region}:${local.account}:${local.prefix}-*"]
  }

  statement {
    sid       = "Functions"
    actions   = ["lambda:*"]
    resources = ["arn:aws:lambda:${local.region}:${local.account}:function:${local.prefix}-*"]
  }

  statement {
    sid = "EventSourceMappingsOfTheFunctions"
    actions = [
      "lambda:CreateEventSourceMapping",
      "lambda:DeleteEventSourceMapping",
      "lambda:GetEventSourceMapping",
      "lambda:UpdateEventSourceMapping",
    ]
    resources = ["*"]
    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["arn:aws:lambda:${local.region}:${local.account}:function:${local.prefix}-*"]
    }
  }

  statement {
    sid       = "ListEventSourceMappings"
    actions   = ["lambda:ListEventSourceMappings"]
    resources = ["*"]
  }

  statement {
    sid     = "LogGroups"
    actions = ["logs:*"]
    resources = [
      "arn:aws:logs:${local.region}:${local.account}:log-group:/aws/lambda/${local.prefix}-*",
      "arn:aws:logs:${local.region}:${local.account}:log-group:/aws/apigateway/${local.prefix}/*",
      "arn:aws:logs:${local.region}:${local.account}:log-group:/aws/apigateway/${local.prefix}-live/*",
      # The execution log group's name holds the REST API's id, which AWS assigns.
      "arn:aws:logs:${local.region}:${local.account}:log-group:API-Gateway-Execution-Logs_*",
      "arn:aws:logs:${local.region}:${local.account}:log-group:aws-waf-logs-${local.prefix}*",
    ]
  }

  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }

  statement {
    sid = "RolesOfTheEnvironment"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
      "iam:PutRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = ["arn:aws:iam::${local.account}:role/${local.prefix}-*"]
  }

  statement {
    sid       = "PassTheFunctionsRolesToLambda"
    actions   = ["iam:PassRole"]
    resources = local.roles_passed_to_lambda
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = length(local.roles_passed_to_api_gateway) > 0 ? ["owner"] : []
    content {
      sid       = "PassTheCloudWatchRoleToApiGateway"
      actions   = ["iam:PassRole"]
      resources = local.roles_passed_to_api_gateway
      condition {
        test     = "StringEquals"
        variable = "iam:PassedToService"
        values   = ["apigateway.amazonaws.com"]
      }
    }
  }

  # The HTTP API's access logs, and WAF's, are delivered through CloudWatch Logs' log delivery and an
  # account-wide resource policy.
  statement {
    sid = "LogDelivery"
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  # What AWS names itself (the key, the user pool) is created only tagged with the environment,
  # and then reached through that tag.
  statement {
    sid       = "CreateTaggedWithTheEnvironment"
    actions   = ["cloudfront:CreateDistribution", "cloudfront:TagResource", "cognito-idp:CreateUserPool", "kms:CreateKey", "kms:TagResource"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [var.environment]
    }
  }

  # Administering the environment's key, and what creating encrypted resources asks of the
  # caller: grants for DynamoDB and Lambda, data keys for Kinesis, encryption of settings.
  statement {
    sid = "TheEnvironmentsKey"
    actions = [
      "kms:CreateAlias",
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:EnableKeyRotation",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = ["arn:aws:kms:${local.region}:${local.account}:key/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "TheEnvironmentsKeyAlias"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["arn:aws:kms:${local.region}:${local.account}:alias/${local.prefix}"]
  }

  statement {
    sid       = "ListKeyAliases"
    actions   = ["kms:ListAliases"]
    resources = ["*"]
  }

  # The user pool, its client and domain; AdminCreateUser and AdminSetUserPassword for the smoke test.
  statement {
    sid       = "TheEnvironmentsUserPool"
    actions   = ["cognito-idp:*"]
    resources = ["arn:aws:cognito-idp:${local.region}:${local.account}:userpool/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [var.environment]
    }
  }

  # The REST API of the reads and the devices' HTTP API (/apis), their stages, deployments, routes.
  statement {
    sid     = "Apis"
    actions = ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
    resources = concat(
      [
        "arn:aws:apigateway:${local.region}::/restapis",
        "arn:aws:apigateway:${local.region}::/restapis/*",
        # The WebSocket API (API Gateway v2): its routes, integration, deployments and stage.
        "arn:aws:apigateway:${local.region}::/apis",
        "arn:aws:apigateway:${local.region}::/apis/*",
        "arn:aws:apigateway:${local.region}::/tags/*",
      ],
      var.manage_api_gateway_account ? ["arn:aws:apigateway:${local.region}::/account"] : [],
      var.domain_name != "" ? [
        "arn:aws:apigateway:${local.region}::/domainnames",
        "arn:aws:apigateway:${local.region}::/domainnames/*",
      ] : [],
    )
  }

  # The CDN of the feed: its distribution through the environment's tag; its cache and headers
  # policies, which take no tags, and the managed policies it names, are the account's.
  statement {
    sid       = "TheEnvironmentsDistribution"
    actions   = ["cloudfront:*"]
    resources = ["arn:aws:cloudfront::${local.account}:distribution/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [var.environment]
    }
  }

  statement {
    sid = "CdnPolicies"
    actions = [
      "cloudfront:CreateCachePolicy",
      "cloudfront:CreateResponseHeadersPolicy",
      "cloudfront:DeleteCachePolicy",
      "cloudfront:DeleteResponseHeadersPolicy",
      "cloudfront:GetCachePolicy",
      "cloudfront:GetOriginRequestPolicy",
      "cloudfront:GetResponseHeadersPolicy",
      "cloudfront:UpdateCachePolicy",
      "cloudfront:UpdateResponseHeadersPolicy",
    ]
    resources = [
      "arn:aws:cloudfront::${local.account}:cache-policy/*",
      "arn:aws:cloudfront::${local.account}:origin-request-policy/*",
      "arn:aws:cloudfront::${local.account}:response-headers-policy/*",
    ]
  }

  # The operations map: its bucket (named after the environment) and the access control CloudFront
  # reads it with, which takes no tags.
  statement {
    sid       = "TheMapsBucket"
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::${local.prefix}-map-*", "arn:aws:s3:::${local.prefix}-map-*/*"]
  }

  statement {
    sid = "CdnOriginAccessControls"
    actions = [
      "cloudfront:CreateOriginAccessControl",
      "cloudfront:DeleteOriginAccessControl",
      "cloudfront:GetOriginAccessControl",
      "cloudfront:UpdateOriginAccessControl",
    ]
    resources = ["arn:aws:cloudfront::${local.account}:origin-access-control/*"]
  }

  statement {
    sid       = "FindCdnPolicies"
    actions   = ["cloudfront:ListCachePolicies", "cloudfront:ListOriginRequestPolicies", "cloudfront:ListResponseHeadersPolicies"]
    resources = ["*"]
  }

  statement {
    sid       = "Topics"
    actions   = ["sns:*"]
    resources = ["arn:aws:sns:${local.region}:${local.account}:${local.prefix}-*"]
  }

  statement {
    sid = "Alarms"
    actions = [
      "cloudwatch:DeleteAlarms",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ]
    resources = ["arn:aws:cloudwatch:${local.region}:${local.account}:alarm:${local.prefix}-*"]
  }

  # Rights for what only some environments have: a web ACL, a custom domain.
  dynamic "statement" {
    for_each = concat(var.waf_enabled ? local.web_acl_statements : [], var.domain_name != "" ? local.domain_statements : [])
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy-${var.environment}"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
