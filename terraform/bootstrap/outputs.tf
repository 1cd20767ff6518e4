output "role_arn" {
  description = "ARN of the role the environment's CI jobs assume: the AWS_ROLE_ARN CI/CD variable of the environment."
  value       = aws_iam_role.deploy.arn
}

output "policy_json" {
  description = "The role's policy, to review or to attach by other means."
  value       = data.aws_iam_policy_document.deploy.json
}
