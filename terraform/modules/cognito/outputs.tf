output "user_pool_id" {
  description = "Id of the user pool of bus devices."
  value       = aws_cognito_user_pool.devices.id
}

output "issuer" {
  description = "Issuer (iss claim) of the pool's tokens: what a JWT authorizer accepts."
  value       = "https://${aws_cognito_user_pool.devices.endpoint}"
}

output "app_client_id" {
  description = "Id of the app client devices sign in with."
  value       = aws_cognito_user_pool_client.devices.id
}

output "hosted_ui_url" {
  description = "Base URL of the hosted UI, or null when no domain prefix is set."
  value       = length(aws_cognito_user_pool_domain.hosted_ui) > 0 ? "https://${aws_cognito_user_pool_domain.hosted_ui[0].domain}.auth.${data.aws_region.current.name}.amazoncognito.com" : null
}
