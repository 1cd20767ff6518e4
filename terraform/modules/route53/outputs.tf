output "url" {
  description = "Base URL of the API on its custom domain."
  value       = "https://${aws_route53_record.api.fqdn}"
}

output "certificate_arn" {
  description = "ARN of the validated ACM certificate of the domain."
  value       = aws_acm_certificate_validation.api.certificate_arn
}

output "regional_domain_name" {
  description = "API Gateway's regional host name the alias record points to."
  value       = aws_api_gateway_domain_name.api.regional_domain_name
}
