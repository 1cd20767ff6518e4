output "bucket_name" {
  description = "Name of the bucket of the operations map."
  value       = aws_s3_bucket.map.id
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the bucket: the CloudFront origin of /map/*."
  value       = aws_s3_bucket.map.bucket_regional_domain_name
}
