output "distribution_id" {
  description = "Id of the CloudFront distribution (to invalidate it, or to read its metrics)."
  value       = aws_cloudfront_distribution.this.id
}

output "domain_name" {
  description = "Domain name of the distribution, e.g. d111111abcdef8.cloudfront.net."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "feed_url" {
  description = "URL of the GTFS-Realtime VehiclePositions feed through the CDN: the one to give trip planners."
  value       = "https://${aws_cloudfront_distribution.this.domain_name}/v1/gtfs-rt/vehicle-positions"
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution (the map's bucket lets only it read)."
  value       = aws_cloudfront_distribution.this.arn
}

output "base_url" {
  description = "Base URL of the distribution: the API's read routes, the feed and the map, on one origin."
  value       = "https://${aws_cloudfront_distribution.this.domain_name}"
}

output "map_url" {
  description = "URL of the operations map."
  value       = "https://${aws_cloudfront_distribution.this.domain_name}/map/index.html"
}
