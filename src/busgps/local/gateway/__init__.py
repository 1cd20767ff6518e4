"""The local API Gateway: serves api/openapi.yaml as a REST API and api/ingest.yaml as an HTTP API,
as API Gateway does, on one machine."""

from busgps.local.gateway.app import GatewayConfig, create_gateway_app
from busgps.local.gateway.http_api import HttpApiConfig, create_http_api_app
from busgps.local.gateway.template import TemplateRenderError, render_openapi_template

__all__ = [
    "GatewayConfig",
    "HttpApiConfig",
    "TemplateRenderError",
    "create_gateway_app",
    "create_http_api_app",
    "render_openapi_template",
]
