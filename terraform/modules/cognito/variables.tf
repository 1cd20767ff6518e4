variable "user_pool_name" {
  type        = string
  description = "Name of the user pool of bus devices."
}

variable "deletion_protection" {
  type        = bool
  description = "Whether the user pool refuses deletion until the protection is turned off."
  default     = false
}

variable "password_minimum_length" {
  type        = number
  description = "Minimum length of a device's password (Cognito allows 6 to 99)."
  default     = 14

  validation {
    condition     = var.password_minimum_length >= 6 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be between 6 and 99."
  }
}

variable "advanced_security_mode" {
  type        = string
  description = "Cognito threat protection: OFF, AUDIT or ENFORCED (AUDIT and ENFORCED are billed per user)."
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "AUDIT", "ENFORCED"], var.advanced_security_mode)
    error_message = "advanced_security_mode must be OFF, AUDIT or ENFORCED."
  }
}

variable "id_token_validity_minutes" {
  type        = number
  description = "How long an id token (the one devices send to the API) is valid, in minutes (5 to 1440)."
  default     = 60

  validation {
    condition     = var.id_token_validity_minutes >= 5 && var.id_token_validity_minutes <= 1440
    error_message = "id_token_validity_minutes must be between 5 and 1440."
  }
}

variable "access_token_validity_minutes" {
  type        = number
  description = "How long an access token is valid, in minutes (5 to 1440)."
  default     = 60

  validation {
    condition     = var.access_token_validity_minutes >= 5 && var.access_token_validity_minutes <= 1440
    error_message = "access_token_validity_minutes must be between 5 and 1440."
  }
}

variable "refresh_token_validity_days" {
  type        = number
  description = "How long a refresh token is valid, in days (1 to 3650)."
  default     = 30

  validation {
    condition     = var.refresh_token_validity_days >= 1 && var.refresh_token_validity_days <= 3650
    error_message = "refresh_token_validity_days must be between 1 and 3650."
  }
}

variable "hosted_ui_domain_prefix" {
  type        = string
  description = "Prefix of the Cognito hosted UI domain (<prefix>.auth.<region>.amazoncognito.com); empty for none."
  default     = ""
}

variable "hosted_ui_callback_urls" {
  type        = list(string)
  description = "URLs the hosted UI may redirect to after sign-in (used only with a hosted UI domain)."
  default     = ["https://localhost/callback"]
}
