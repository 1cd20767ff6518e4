variable "name" {
  type        = string
  description = "Prefix of the CDN's policies and its comment, e.g. busgps-production."
}

variable "api_domain_name" {
  type        = string
  description = "Domain name of the REST API's default endpoint (<api id>.execute-api.<region>.amazonaws.com), the origin."
}

variable "api_stage_name" {
  type        = string
  description = "Stage of the REST API; the origin path."
}

variable "map_bucket_regional_domain_name" {
  type        = string
  description = "Regional domain name of the operations map's bucket, the origin of /map/*."
}

variable "origin_shield_region" {
  type        = string
  description = "Region of the Origin Shield cache in front of the API: the API's own region."
}

variable "feed_refresh_seconds" {
  type        = number
  description = "How long the CDN keeps a snapshot of the GTFS-Realtime feed: its refresh period."

  validation {
    condition     = var.feed_refresh_seconds >= 1 && var.feed_refresh_seconds <= 300
    error_message = "feed_refresh_seconds must be between 1 and 300."
  }
}

variable "price_class" {
  type        = string
  description = "CloudFront price class: which edge locations serve the feed (PriceClass_100 is North America and Europe, the cheapest)."
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}
