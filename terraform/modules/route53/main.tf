locals {
  # The zone is the domain's parent unless named: api.busgps.example.com -> busgps.example.com.
  zone_name = var.hosted_zone_name != "" ? var.hosted_zone_name : join(".", slice(split(".", var.domain_name), 1, length(split(".", var.domain_name))))

  validation_options = { for option in aws_acm_certificate.api.domain_validation_options : option.domain_name => option }
}

data "aws_route53_zone" "this" {
  name         = local.zone_name
  private_zone = false
}

resource "aws_acm_certificate" "api" {
  domain_name       = var.domain_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

# Keyed by the domain names, known at plan time; the record values are known only after the
# certificate is requested.
resource "aws_route53_record" "certificate_validation" {
  for_each = toset([var.domain_name])

  zone_id         = data.aws_route53_zone.this.zone_id
  name            = local.validation_options[each.key].resource_record_name
  type            = local.validation_options[each.key].resource_record_type
  records         = [local.validation_options[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "api" {
  certificate_arn         = aws_acm_certificate.api.arn
  validation_record_fqdns = [for record in aws_route53_record.certificate_validation : record.fqdn]
}

# A regional custom domain (created through API Gateway v1, shared with v2's API mappings), so the
# certificate lives in the APIs' region.
resource "aws_api_gateway_domain_name" "api" {
  domain_name              = var.domain_name
  regional_certificate_arn = aws_acm_certificate_validation.api.certificate_arn
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_base_path_mapping" "api" {
  api_id      = var.rest_api_id
  stage_name  = var.stage_name
  domain_name = aws_api_gateway_domain_name.api.domain_name
}

# The devices' HTTP API on the same regional domain, under /ingest: one certificate, one DNS name,
# and devices reach https://<domain>/ingest/post-gps. API Gateway picks the longest matching mapping,
# so every other path stays the REST API's.
resource "aws_apigatewayv2_api_mapping" "ingest" {
  api_id          = var.ingest_api_id
  stage           = var.ingest_stage
  domain_name     = aws_api_gateway_domain_name.api.domain_name
  api_mapping_key = "ingest"
}

resource "aws_route53_record" "api" {
  zone_id = data.aws_route53_zone.this.zone_id
  name    = aws_api_gateway_domain_name.api.domain_name
  type    = "A"

  alias {
    name                   = aws_api_gateway_domain_name.api.regional_domain_name
    zone_id                = aws_api_gateway_domain_name.api.regional_zone_id
    evaluate_target_health = false
  }
}
