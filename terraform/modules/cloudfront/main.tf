# The CDN in front of the REST API: the GTFS-Realtime feed is served from CloudFront's caches, so that
# however many consumers poll, about one request per refresh period reaches API Gateway and Lambda.

data "aws_cloudfront_cache_policy" "caching_disabled" {
  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

# The map's files: cached by their ETag and Cache-Control, compressed; config.json says no-cache.
data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

locals {
  api_origin_id = "api"
  map_origin_id = "map"
}

# CloudFront signs its requests to the map's bucket, which nobody else may read.
resource "aws_cloudfront_origin_access_control" "map" {
  name                              = "${var.name}-map"
  description                       = "The operations map's bucket, read by this distribution only"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# One copy per format (protobuf, json) and encoding, kept exactly one refresh period.
resource "aws_cloudfront_cache_policy" "feed" {
  name        = "${var.name}-feed"
  comment     = "GTFS-Realtime feed: one refresh period, one copy per format and encoding"
  min_ttl     = 0
  default_ttl = var.feed_refresh_seconds
  max_ttl     = var.feed_refresh_seconds

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_gzip   = true
    enable_accept_encoding_brotli = true

    cookies_config {
      cookie_behavior = "none"
    }
    headers_config {
      header_behavior = "none"
    }
    query_strings_config {
      query_string_behavior = "whitelist"
      query_strings {
        items = ["format"]
      }
    }
  }
}

resource "aws_cloudfront_response_headers_policy" "security" {
  name    = "${var.name}-security-headers"
  comment = "Security headers on every answer of the CDN"

  security_headers_config {
    content_type_options {
      override = true
    }
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    referrer_policy {
      referrer_policy = "no-referrer"
      override        = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_68:Rate limits are the origin REST API stage's throttling; the CDN only caches the public feed.
  #checkov:skip=CKV2_AWS_47:No CloudFront web ACL (see CKV_AWS_68).
  #checkov:skip=CKV_AWS_86:Every request that reaches the origin is in the API's access log; edge logs would bill per request for cache hits.
  #checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate allows no minimum protocol setting; the origin is reached over TLS 1.2 only.
  #checkov:skip=CKV_AWS_310:A single regional API is the origin; a failover origin would need a second region.
  #checkov:skip=CKV2_AWS_42:The default *.cloudfront.net certificate: a custom one comes with a custom domain.
  #checkov:skip=CKV_AWS_305:The distribution serves API routes and the map under /map/: the root is the API's, with no root object.
  #checkov:skip=CKV_AWS_374:Transit feeds are read worldwide; no country is refused.
  enabled         = true
  comment         = "${var.name}: GTFS-Realtime feed, operations map and read-only API"
  price_class     = var.price_class
  http_version    = "http2and3"
  is_ipv6_enabled = true

  # The REST API answers every media type as binary, so the feed needs no Accept of its own: one
  # origin for every path.
  origin {
    origin_id   = local.api_origin_id
    domain_name = var.api_domain_name
    origin_path = "/${var.api_stage_name}"

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }

    # Every edge location asks the shield, which asks the API: one origin request per refresh period.
    origin_shield {
      enabled              = true
      origin_shield_region = var.origin_shield_region
    }
  }

  origin {
    origin_id                = local.map_origin_id
    domain_name              = var.map_bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.map.id
  }

  # The operations map: its page, script, styles, Leaflet and config.json from the bucket.
  ordered_cache_behavior {
    path_pattern               = "/map/*"
    target_origin_id           = local.map_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  ordered_cache_behavior {
    path_pattern               = "/v1/gtfs-rt/*"
    target_origin_id           = local.api_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = aws_cloudfront_cache_policy.feed.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  # Every other read goes to the API uncached, with the viewer's headers and query.
  default_cache_behavior {
    target_origin_id           = local.api_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
