variable "name" {
  type        = string
  description = "Prefix of the bucket's name (the account id follows, as bucket names are global), e.g. busgps-production."
}

variable "map_dir" {
  type        = string
  description = "Directory of the operations map's files as make package builds it (dist/map, with vendor/leaflet)."
}

variable "map_config" {
  type = object({
    apiUrl            = string
    websocketUrl      = string
    tileUrl           = string
    tileAttribution   = string
    staleAfterSeconds = number
    maxAgeSeconds     = number
  })
  description = "The page's map/config.json: the URLs of the API and the WebSocket API, the tiles, and the stale and maximum ages."
}

variable "distribution_arn" {
  type        = string
  description = "ARN of the CloudFront distribution: the only reader of the bucket."
}
