output "web_acl_arn" {
  description = "ARN of the web ACL, for the stage's association."
  value       = aws_wafv2_web_acl.api.arn
}

output "log_group_name" {
  description = "Name of the log group of the web ACL's requests (Authorization redacted)."
  value       = aws_cloudwatch_log_group.waf.name
}
