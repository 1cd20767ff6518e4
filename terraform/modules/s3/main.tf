# The operations map's static files: a private bucket that only the CloudFront distribution reads
# (origin access control), under map/ as the distribution's /map/* behaviour asks for them.

data "aws_caller_identity" "current" {}

locals {
  # S3 serves each file with the Content-Type it was uploaded with.
  content_types = {
    css  = "text/css; charset=utf-8"
    html = "text/html; charset=utf-8"
    js   = "text/javascript; charset=utf-8"
    json = "application/json"
    map  = "application/json"
    png  = "image/png"
    svg  = "image/svg+xml"
  }
  # The config the page is built from is written below, per environment; a copy in the directory
  # (the local stack serves its own) is never uploaded.
  map_files = setsubtract(fileset(var.map_dir, "**"), ["config.json"])
}

resource "aws_s3_bucket" "map" {
  #checkov:skip=CKV_AWS_18:Every request reaches the bucket through CloudFront; the files are public and the same for everyone.
  #checkov:skip=CKV_AWS_144:The files are rebuilt by every deploy from the repository; a second region would copy what the pipeline recreates.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to changes of the map's files: each deploy writes them all.
  #checkov:skip=CKV_AWS_145:Origin access control reads it; a customer managed key would need the distribution in the key policy before the distribution exists, to guard public files.
  bucket        = "${var.name}-map-${data.aws_caller_identity.current.account_id}"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "map" {
  bucket                  = aws_s3_bucket.map.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "map" {
  bucket = aws_s3_bucket.map.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "map" {
  bucket = aws_s3_bucket.map.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "map" {
  bucket = aws_s3_bucket.map.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Old versions of replaced files are kept a week, to roll back by hand, then removed.
resource "aws_s3_bucket_lifecycle_configuration" "map" {
  bucket = aws_s3_bucket.map.id
  rule {
    id     = "expire-replaced-files"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "map" {
  statement {
    sid       = "CloudFrontReadsTheMap"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.map.arn}/map/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [var.distribution_arn]
    }
  }
}

resource "aws_s3_bucket_policy" "map" {
  bucket = aws_s3_bucket.map.id
  policy = data.aws_iam_policy_document.map.json

  depends_on = [aws_s3_bucket_public_access_block.map]
}

resource "aws_s3_object" "map_file" {
  for_each = local.map_files

  bucket        = aws_s3_bucket.map.id
  key           = "map/${each.value}"
  source        = "${var.map_dir}/${each.value}"
  etag          = filemd5("${var.map_dir}/${each.value}")
  content_type  = lookup(local.content_types, reverse(split(".", each.value))[0], "application/octet-stream")
  cache_control = "public, max-age=300"
}

# The page's settings: its API, its WebSocket, tiles, and when a bus is stale or gone.
resource "aws_s3_object" "map_config" {
  bucket        = aws_s3_bucket.map.id
  key           = "map/config.json"
  content       = jsonencode(var.map_config)
  content_type  = "application/json"
  cache_control = "no-cache"

  lifecycle {
    precondition {
      condition     = fileexists("${var.map_dir}/index.html") && fileexists("${var.map_dir}/vendor/leaflet/leaflet.js")
      error_message = "The operations map is missing from the package directory: run make package, which builds dist/map with Leaflet."
    }
  }
}
