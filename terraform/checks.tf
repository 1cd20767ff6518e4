# What production must not get silently. A failed check is a warning in every plan of production
# (CI's plan job and the merge request's plan show it), not an error: the values may be deliberate.

check "production_alarms_reach_someone" {
  assert {
    condition     = var.environment != "production" || var.alarm_email != ""
    error_message = "production's alarm_email is empty: its alarms notify an SNS topic that no one subscribes to. Set alarm_email in environments/production.tfvars, or subscribe another endpoint to the alarm_topic_arn output."
  }
}

check "production_cors_origin_is_named" {
  assert {
    condition     = var.environment != "production" || var.cors_allow_origin != "*"
    error_message = "production's cors_allow_origin is \"*\": any web page may call the API from a browser. Name the riders' web origin (e.g. https://map.example.com) in environments/production.tfvars, unless the API is meant for every origin."
  }
}

check "production_is_behind_a_web_acl" {
  assert {
    condition     = var.environment != "production" || var.waf_enabled
    error_message = "production's waf_enabled is false: nothing but the stage's throttling stands between the API and a flood from one address. Set waf_enabled = true in environments/production.tfvars."
  }
}
