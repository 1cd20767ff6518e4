"""The CI role of each environment (terraform/bootstrap) may create what that environment's plan
creates, may hand services exactly the roles the plan hands them, and nothing of other environments."""

import json
from collections.abc import Callable
from fnmatch import fnmatchcase

import pytest

from infra.terraform_plan import DEPLOYED_ENVIRONMENTS, Plan, PlannedResource, Statement

ACCOUNT = "123456789012"
Context = dict[str, list[str]]


def allowed(statements: list[Statement], action: str, resource: str, context: Context) -> bool:
    """Whether an Allow statement grants `action` on `resource` under `context` (no Deny is used)."""
    return any(
        statement.effect == "Allow"
        and any(fnmatchcase(action.lower(), granted.lower()) for granted in statement.actions)
        and any(fnmatchcase(resource, pattern) for pattern in statement.resources)
        and all(_holds(test, variable, values, context) for test, variable, values in statement.conditions)
        for statement in statements
    )


def _holds(test: str, variable: str, values: frozenset[str], context: Context) -> bool:
    if variable not in context:
        return False  # a condition on a key the request does not carry never holds here
    given = context[variable]
    if test == "StringEquals":
        return all(value in values for value in given)
    if test in {"StringLike", "ArnLike", "ForAllValues:StringLike"}:
        return all(any(fnmatchcase(value, pattern) for pattern in values) for value in given)
    raise AssertionError(f"condition operator {test} is not evaluated by this check")


class Requests:
    """The calls that create each planned resource: (action, resource ARN, condition context)."""

    def __init__(self, plan: Plan, region: str) -> None:
        self.plan = plan
        self.region = region
        self.tags: Context = {
            "aws:RequestTag/Environment": [plan.environment],
            "aws:ResourceTag/Environment": [plan.environment],
        }

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT}:{resource}"

    def global_arn(self, service: str, resource: str) -> str:
        """The ARN of a resource of a global service (no region): CloudFront's."""
        return f"arn:aws:{service}::{ACCOUNT}:{resource}"

    def api(self, path: str) -> str:
        return f"arn:aws:apigateway:{self.region}::{path}"

    @property
    def key(self) -> str:
        # The key's id is AWS's: any id, tagged with the environment.
        return self.arn("kms", "key/0a1b2c3d-0000-4000-8000-00000000000a")

    def role_named(self, role_id: str) -> str:
        (role,) = [role for role in self.plan.of_type("aws_iam_role") if role.values["id"] == role_id]
        return f"arn:aws:iam::{ACCOUNT}:role/{role.values['name']}"

    def function_named(self, arn: str) -> str:
        (function,) = [
            function for function in self.plan.of_type("aws_lambda_function") if function.values["arn"] == arn
        ]
        return self.arn("lambda", f"function:{function.values['function_name']}")

    def of(self, resource: PlannedResource) -> list[tuple[str, str, Context]]:
        values, tags = resource.values, self.tags
        rest_api = self.plan.only("aws_api_gateway_rest_api").values["id"]
        builders: dict[str, Callable[[], list[tuple[str, str, Context]]]] = {
            "aws_kms_key": lambda: [("kms:CreateKey", "*", tags), ("kms:EnableKeyRotation", self.key, tags)],
            "aws_kms_alias": lambda: [
                ("kms:CreateAlias", self.arn("kms", values["name"]), tags),
                ("kms:CreateAlias", self.key, tags),
            ],
            "aws_kinesis_stream": lambda: [
                ("kinesis:CreateStream", self.arn("kinesis", f"stream/{values['name']}"), tags)
            ],
            # Registered on its stream (the consumer takes no tags).
            "aws_kinesis_stream_consumer": lambda: [
                (
                    "kinesis:RegisterStreamConsumer",
                    self.arn("kinesis", f"stream/{self.plan.only('aws_kinesis_stream').values['name']}"),
                    {},
                )
            ],
            "aws_dynamodb_table": lambda: [
                ("dynamodb:CreateTable", self.arn("dynamodb", f"table/{values['name']}"), tags)
            ],
            "aws_appautoscaling_target": lambda: [
                ("application-autoscaling:RegisterScalableTarget", "*", {}),
                (
                    "iam:CreateServiceLinkedRole",
                    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/"
                    "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
                    {"iam:AWSServiceName": ["dynamodb.application-autoscaling.amazonaws.com"]},
                ),
                ("dynamodb:UpdateTable", self.arn("dynamodb", values["resource_id"]), tags),
            ],
            "aws_appautoscaling_policy": lambda: [("application-autoscaling:PutScalingPolicy", "*", {})],
            "aws_sqs_queue": lambda: [("sqs:CreateQueue", self.arn("sqs", values["name"]), tags)],
            "aws_cognito_user_pool": lambda: [("cognito-idp:CreateUserPool", "*", tags)],
            "aws_cognito_user_pool_client": lambda: [
                (
                    "cognito-idp:CreateUserPoolClient",
                    self.arn("cognito-idp", f"userpool/{values['user_pool_id']}"),
                    tags,
                )
            ],
            "aws_cloudwatch_log_group": lambda: [
                ("logs:CreateLogGroup", self.arn("logs", f"log-group:{values['name']}"), tags),
                ("logs:PutRetentionPolicy", self.arn("logs", f"log-group:{values['name']}:*"), tags),
            ],
            "aws_iam_role": lambda: [
                ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/{values['name']}", tags)
            ],
            "aws_iam_role_policy": lambda: [("iam:PutRolePolicy", self.role_named(values["role"]), tags)],
            "aws_lambda_function": lambda: [
                ("lambda:CreateFunction", self.arn("lambda", f"function:{values['function_name']}"), tags)
            ],
            "aws_lambda_event_source_mapping": lambda: [
                (
                    "lambda:CreateEventSourceMapping",
                    "*",
                    {"lambda:FunctionArn": [self.function_named(values["function_name"])]},
                )
            ],
            "aws_lambda_permission": lambda: [
                ("lambda:AddPermission", self.arn("lambda", f"function:{values['function_name']}"), tags)
            ],
            "aws_api_gateway_rest_api": lambda: [
                ("apigateway:POST", self.api("/restapis"), tags),
                ("apigateway:PUT", self.api(f"/restapis/{rest_api}"), tags),
            ],
            "aws_api_gateway_deployment": lambda: [
                ("apigateway:POST", self.api(f"/restapis/{rest_api}/deployments"), tags)
            ],
            "aws_api_gateway_stage": lambda: [
                ("apigateway:POST", self.api(f"/restapis/{rest_api}/stages"), tags)
            ],
            "aws_api_gateway_method_settings": lambda: [
                ("apigateway:PATCH", self.api(f"/restapis/{rest_api}/stages/{values['stage_name']}"), tags)
            ],
            "aws_api_gateway_account": lambda: [("apigateway:PATCH", self.api("/account"), tags)],
            # The HTTP API (API Gateway v2): imported from its document, its stage delivering access
            # logs through CloudWatch Logs' log delivery.
            # An API imported from a document (the devices' HTTP API) is created, then its body put.
            "aws_apigatewayv2_api": lambda: [
                ("apigateway:POST", self.api("/apis"), tags),
                *(
                    [("apigateway:PUT", self.api(f"/apis/{self.v2_api(resource.name)}"), tags)]
                    if values.get("body")
                    else []
                ),
            ],
            "aws_apigatewayv2_stage": lambda: [
                ("apigateway:POST", self.api(f"/apis/{self.v2_api(resource.name)}/stages"), tags),
                ("logs:CreateLogDelivery", "*", tags),
                ("logs:PutResourcePolicy", "*", tags),
                ("logs:DescribeResourcePolicies", "*", tags),
                ("logs:DescribeLogGroups", "*", tags),
            ],
            "aws_apigatewayv2_api_mapping": lambda: [
                ("apigateway:POST", self.api(f"/domainnames/{values['domain_name']}/apimappings"), tags)
            ],
            "aws_wafv2_web_acl": lambda: [
                ("wafv2:CreateWebACL", self.arn("wafv2", f"regional/webacl/{values['name']}/0a1b2c3d"), tags),
                (
                    "wafv2:CreateWebACL",
                    self.arn(
                        "wafv2", "regional/managedruleset/AWSManagedRulesKnownBadInputsRuleSet/0a1b2c3d"
                    ),
                    tags,
                ),
            ],
            "aws_wafv2_web_acl_association": lambda: [
                ("wafv2:AssociateWebACL", self.web_acl(), tags),
                (
                    "apigateway:SetWebACL",
                    self.api(f"/restapis/{rest_api}/stages/{self.plan.environment}"),
                    tags,
                ),
            ],
            "aws_wafv2_web_acl_logging_configuration": lambda: [
                ("wafv2:PutLoggingConfiguration", self.web_acl(), tags),
                ("logs:CreateLogDelivery", "*", tags),
                ("logs:PutResourcePolicy", "*", tags),
            ],
            "aws_sns_topic": lambda: [("sns:CreateTopic", self.arn("sns", values["name"]), tags)],
            "aws_sns_topic_policy": lambda: [("sns:SetTopicAttributes", self.topic(), tags)],
            "aws_sns_topic_subscription": lambda: [("sns:Subscribe", self.topic(), tags)],
            "aws_cloudwatch_metric_alarm": lambda: [
                ("cloudwatch:PutMetricAlarm", self.arn("cloudwatch", f"alarm:{values['alarm_name']}"), tags)
            ],
            "aws_cloudfront_cache_policy": lambda: [
                ("cloudfront:CreateCachePolicy", self.global_arn("cloudfront", "cache-policy/0a1b2c3d"), tags)
            ],
            "aws_cloudfront_response_headers_policy": lambda: [
                (
                    "cloudfront:CreateResponseHeadersPolicy",
                    self.global_arn("cloudfront", "response-headers-policy/0a1b2c3d"),
                    tags,
                )
            ],
            "aws_cloudfront_distribution": lambda: [
                (
                    "cloudfront:CreateDistribution",
                    self.global_arn("cloudfront", "distribution/E0A1B2C3D"),
                    tags,
                ),
                ("cloudfront:TagResource", self.global_arn("cloudfront", "distribution/E0A1B2C3D"), tags),
                ("cloudfront:GetDistribution", self.global_arn("cloudfront", "distribution/E0A1B2C3D"), tags),
            ],
            "aws_acm_certificate": lambda: [("acm:RequestCertificate", "*", tags)],
            "aws_acm_certificate_validation": lambda: [
                (
                    "acm:DescribeCertificate",
                    self.arn("acm", "certificate/0a1b2c3d-0000-4000-8000-00000000000a"),
                    tags,
                )
            ],
            "aws_route53_record": lambda: [
                (
                    "route53:ChangeResourceRecordSets",
                    f"arn:aws:route53:::hostedzone/{values['zone_id']}",
                    {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                            values.get("name") or f"_0a1b2c3d.{self.domain()}"
                        ]
                    },
                )
            ],
            "aws_api_gateway_domain_name": lambda: [("apigateway:POST", self.api("/domainnames"), tags)],
            "aws_apigatewayv2_integration": lambda: [
                ("apigateway:POST", self.api(f"/apis/{self.v2_api('websocket')}/integrations"), tags)
            ],
            "aws_apigatewayv2_route": lambda: [
                ("apigateway:POST", self.api(f"/apis/{self.v2_api('websocket')}/routes"), tags)
            ],
            "aws_apigatewayv2_deployment": lambda: [
                ("apigateway:POST", self.api(f"/apis/{self.v2_api('websocket')}/deployments"), tags)
            ],
            "aws_s3_bucket": lambda: [
                ("s3:CreateBucket", self.bucket(), tags),
                ("s3:PutBucketTagging", self.bucket(), tags),
            ],
            "aws_s3_bucket_public_access_block": lambda: [
                ("s3:PutBucketPublicAccessBlock", self.bucket(), tags)
            ],
            "aws_s3_bucket_ownership_controls": lambda: [
                ("s3:PutBucketOwnershipControls", self.bucket(), tags)
            ],
            "aws_s3_bucket_versioning": lambda: [("s3:PutBucketVersioning", self.bucket(), tags)],
            "aws_s3_bucket_server_side_encryption_configuration": lambda: [
                ("s3:PutEncryptionConfiguration", self.bucket(), tags)
            ],
            "aws_s3_bucket_lifecycle_configuration": lambda: [
                ("s3:PutLifecycleConfiguration", self.bucket(), tags)
            ],
            "aws_s3_bucket_policy": lambda: [("s3:PutBucketPolicy", self.bucket(), tags)],
            "aws_s3_object": lambda: [("s3:PutObject", f"{self.bucket()}/{values['key']}", tags)],
            "aws_cloudfront_origin_access_control": lambda: [
                (
                    "cloudfront:CreateOriginAccessControl",
                    self.global_arn("cloudfront", "origin-access-control/E0A1B2C3D"),
                    tags,
                )
            ],
            "aws_api_gateway_base_path_mapping": lambda: [
                ("apigateway:POST", self.api(f"/domainnames/{values['domain_name']}/basepathmappings"), tags)
            ],
        }
        assert resource.type in builders, (
            f"{resource.type}: what creating it calls is not known to this check"
        )
        return builders[resource.type]()

    def v2_api(self, name: str) -> str:
        """The id of the API Gateway v2 API of that name (ingest or websocket)."""
        api_id: str = self.plan.resources[f"module.api_gateway.aws_apigatewayv2_api.{name}"].values["id"]
        return api_id

    def web_acl(self) -> str:
        return self.arn(
            "wafv2", f"regional/webacl/{self.plan.only('aws_wafv2_web_acl').values['name']}/0a1b2c3d"
        )

    def bucket(self) -> str:
        """The map bucket's ARN, by the name the plan gives it (the other S3 resources name its id)."""
        return f"arn:aws:s3:::{self.plan.only('aws_s3_bucket').values['bucket']}"

    def topic(self) -> str:
        return self.arn("sns", self.plan.only("aws_sns_topic").values["name"])

    def domain(self) -> str:
        name: str = self.plan.only("aws_acm_certificate").values["domain_name"]
        return name


def role_policy(ci_role_plans: dict[tuple[str, str], Plan], environment: str, run: str) -> list[Statement]:
    plan = ci_role_plans[(environment, run)]
    return plan.policy(plan.only("aws_iam_role_policy"))


@pytest.mark.parametrize("environment", DEPLOYED_ENVIRONMENTS)
@pytest.mark.parametrize("run", ["plan", "plan_with_custom_domain"])
def test_the_ci_role_may_create_everything_its_environments_plan_creates(
    plans: dict[tuple[str, str], Plan], ci_role_plans: dict[tuple[str, str], Plan], environment: str, run: str
) -> None:
    # Given an environment's plan and its CI role's policy, planned with the same settings
    plan = plans[(environment, run)]
    statements = role_policy(ci_role_plans, environment, run)
    requests = Requests(plan, _region(plan))
    # When the calls that create each planned resource are checked against the policy
    refused = [
        (resource.address, action, arn)
        for resource in plan.resources.values()
        for action, arn, context in requests.of(resource)
        if not allowed(statements, action, arn, context)
    ]
    # Then every one is allowed
    assert refused == []


def _region(plan: Plan) -> str:
    region: str = plan.outputs["aws_region"]
    return region


@pytest.mark.parametrize("environment", DEPLOYED_ENVIRONMENTS)
def test_the_ci_role_passes_exactly_the_roles_the_plan_hands_to_services(
    plans: dict[tuple[str, str], Plan], ci_role_plans: dict[tuple[str, str], Plan], environment: str
) -> None:
    # Given the roles the environment's plan hands to services: the functions' to Lambda, the
    # account's CloudWatch role and any integration credentials of the API document to API Gateway
    plan = plans[(environment, "plan")]
    names = {role.values["arn"]: role.values["name"] for role in plan.of_type("aws_iam_role")}
    document = json.loads(plan.only("aws_api_gateway_rest_api").values["body"])
    credentials = {
        operation["x-amazon-apigateway-integration"]["credentials"]
        for item in document["paths"].values()
        for operation in item.values()
        if "credentials" in operation.get("x-amazon-apigateway-integration", {})
    }
    handed = {
        **{
            names[function.values["role"]]: "lambda.amazonaws.com"
            for function in plan.of_type("aws_lambda_function")
        },
        **{names[arn]: "apigateway.amazonaws.com" for arn in credentials},
        **{
            names[account.values["cloudwatch_role_arn"]]: "apigateway.amazonaws.com"
            for account in plan.of_type("aws_api_gateway_account")
        },
    }
    # When the CI role's iam:PassRole grants are read
    passes = {
        (arn.rsplit("/", 1)[-1], service)
        for statement in role_policy(ci_role_plans, environment, "plan")
        if "iam:PassRole" in statement.actions
        for arn in statement.resources
        for test, variable, services in statement.conditions
        if (test, variable) == ("StringEquals", "iam:PassedToService")
        for service in services
    }
    # Then it may pass exactly those roles, each to its own service only
    assert passes == set(handed.items())
    assert all(
        "*" not in resource
        for statement in role_policy(ci_role_plans, environment, "plan")
        if "iam:PassRole" in statement.actions
        for resource in statement.resources
    )


@pytest.mark.parametrize("environment", DEPLOYED_ENVIRONMENTS)
def test_the_ci_role_uses_the_environments_key_and_runs_the_smoke_test(
    plans: dict[tuple[str, str], Plan], ci_role_plans: dict[tuple[str, str], Plan], environment: str
) -> None:
    # Given the CI role's policy and the environment's key and user pool (tagged with the environment)
    statements = role_policy(ci_role_plans, environment, "plan")
    requests = Requests(plans[(environment, "plan")], _region(plans[(environment, "plan")]))
    pool = requests.arn("cognito-idp", "userpool/eu-west-1_PlannedPool")
    # When what creating encrypted resources and the smoke test ask of the caller is checked
    # Then it may: grants, key description, encryption and data keys on the key; creating the
    # smoke test's device user and setting its password in the pool
    for action in ("kms:CreateGrant", "kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"):
        assert allowed(statements, action, requests.key, requests.tags), action
    for action in ("cognito-idp:AdminCreateUser", "cognito-idp:AdminSetUserPassword"):
        assert allowed(statements, action, pool, requests.tags), action


@pytest.mark.parametrize("environment", DEPLOYED_ENVIRONMENTS)
def test_the_ci_role_cannot_touch_other_environments_or_its_own_rights(
    plans: dict[tuple[str, str], Plan], ci_role_plans: dict[tuple[str, str], Plan], environment: str
) -> None:
    # Given the CI role's policy
    statements = role_policy(ci_role_plans, environment, "plan")
    other = next(name for name in DEPLOYED_ENVIRONMENTS if name != environment)
    requests = Requests(plans[(environment, "plan")], _region(plans[(environment, "plan")]))
    other_tags: Context = {"aws:ResourceTag/Environment": [other], "aws:RequestTag/Environment": [other]}
    # When calls on another environment's resources, or on the CI role itself, are checked
    # Then none is allowed
    assert not allowed(
        statements,
        "dynamodb:DeleteTable",
        requests.arn("dynamodb", f"table/busgps-{other}-latest"),
        requests.tags,
    )
    assert not allowed(statements, "kms:ScheduleKeyDeletion", requests.key, other_tags)
    assert not allowed(
        statements,
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/busgps-{other}-consumer",
        {"iam:PassedToService": ["lambda.amazonaws.com"]},
    )
    assert not allowed(
        statements, "iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/busgps-ci-{environment}", requests.tags
    )


def test_the_ci_role_trusts_only_the_projects_pipelines(ci_role_plans: dict[tuple[str, str], Plan]) -> None:
    # Given the CI role's trust policy
    plan = ci_role_plans[("production", "plan")]
    role = plan.only("aws_iam_role")
    (statement,) = plan.policy(role, "assume_role_policy")
    # When its principal and conditions are read
    # Then only GitLab's id tokens for AWS, of the project's allowed refs, may assume it
    assert statement.actions == {"sts:AssumeRoleWithWebIdentity"}
    assert statement.principals == {
        "Federated": frozenset({f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.example.com"})
    }
    assert statement.conditions == {
        ("StringEquals", "gitlab.example.com:aud", frozenset({"sts.amazonaws.com"})),
        (
            "StringLike",
            "gitlab.example.com:sub",
            frozenset({"project_path:transit/busgps:ref_type:branch:ref:main"}),
        ),
    }
    assert role.values["name"] == "busgps-ci-production"
