"""The local API Gateway: serves api/openapi.yaml as API Gateway does, on one machine."""

from busgps.local.gateway.app import GatewayConfig, create_gateway_app
from busgps.local.gateway.template import TemplateRenderError, render_openapi_template

__all__ = ["GatewayConfig", "TemplateRenderError", "create_gateway_app", "render_openapi_template"]
