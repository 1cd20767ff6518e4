data "aws_region" "current" {}

# Bus devices' identities. Only administrators create users: a device cannot sign itself up.
resource "aws_cognito_user_pool" "devices" {
  name                = var.user_pool_name
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  mfa_configuration   = "OFF"

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 7
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "admin_only"
      priority = 1
    }
  }

  user_pool_add_ons {
    advanced_security_mode = var.advanced_security_mode
  }
}

resource "aws_cognito_user_pool_client" "devices" {
  name         = "${var.user_pool_name}-client"
  user_pool_id = aws_cognito_user_pool.devices.id

  # Public client: devices sign in with USER_PASSWORD_AUTH as the legacy clients do, so no secret.
  generate_secret = false
  explicit_auth_flows = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_SRP_AUTH",
  ]
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  id_token_validity      = var.id_token_validity_minutes
  access_token_validity  = var.access_token_validity_minutes
  refresh_token_validity = var.refresh_token_validity_days
  token_validity_units {
    id_token      = "minutes"
    access_token  = "minutes"
    refresh_token = "days"
  }

  # The hosted UI signs users in with the authorization-code flow when a domain is set.
  allowed_oauth_flows_user_pool_client = var.hosted_ui_domain_prefix != ""
  allowed_oauth_flows                  = var.hosted_ui_domain_prefix != "" ? ["code"] : []
  allowed_oauth_scopes                 = var.hosted_ui_domain_prefix != "" ? ["openid", "email", "profile"] : []
  callback_urls                        = var.hosted_ui_domain_prefix != "" ? var.hosted_ui_callback_urls : []
  supported_identity_providers         = ["COGNITO"]
}

resource "aws_cognito_user_pool_domain" "hosted_ui" {
  count = var.hosted_ui_domain_prefix != "" ? 1 : 0

  domain       = var.hosted_ui_domain_prefix
  user_pool_id = aws_cognito_user_pool.devices.id
}
