output "url" {
  description = "Base URL of the REST API of the reads on the custom domain."
  value       = "https://${aws_route53_record.api.fqdn}"
}

output "ingest_url" {
  description = "Base URL of the devices' HTTP API on the custom domain (its ingest path)."
  value       = "https://${aws_route53_record.api.fqdn}/${aws_apigatewayv2_api_mapping.ingest.api_mapping_key}"
}

output "certificate_arn" {
  description = "ARN of the validated ACM certificate of the domain."
  value       = aws_acm_certificate_validation.api.certificate_arn
}

output "regional_domain_name" {
  description = "API Gateway's regional host name the alias record points to."
  value       = aws_api_gateway_domain_name.api.regional_domain_name
}
