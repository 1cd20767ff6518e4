"""api/openapi.yaml, rendered and indexed: routes, operations, validators, authorizers, gateway responses."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from busgps.local.gateway.template import render_openapi_template

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_PATH_PARAMETER = re.compile(r"\{([^{}]+)\}")


class DocumentError(ValueError):
    """The document is not one the gateway can serve."""


@dataclass(frozen=True)
class Operation:
    """One method of one resource, with everything API Gateway reads from the document for it."""

    method: str
    resource_path: str
    spec: Mapping[str, Any]
    integration: Mapping[str, Any]
    security: list[Mapping[str, Any]]
    validator: Mapping[str, Any]
    parameters: list[Mapping[str, Any]]
    request_body: Mapping[str, Any] | None


@dataclass(frozen=True)
class Route:
    resource_path: str
    pattern: re.Pattern[str]
    parameter_names: tuple[str, ...]
    static_segments: int
    operations: Mapping[str, Operation]


def _compile_path(resource_path: str) -> tuple[re.Pattern[str], tuple[str, ...], int]:
    names: list[str] = []
    pattern = ""
    static_segments = 0
    for segment in resource_path.strip("/").split("/"):
        if not segment:
            continue
        parameter = _PATH_PARAMETER.fullmatch(segment)
        if parameter is None:
            static_segments += 1
            pattern += "/" + re.escape(segment)
        elif parameter.group(1).endswith("+"):  # greedy: {proxy+} takes the rest of the path
            names.append(parameter.group(1)[:-1])
            pattern += "/(.+)"
        else:
            names.append(parameter.group(1))
            pattern += "/([^/]+)"
    return re.compile((pattern or "/") + "$"), tuple(names), static_segments


class ApiDocument:
    """The rendered document and the look-ups the gateway makes in it."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        if not str(document.get("openapi", "")).startswith("3."):
            raise DocumentError("the API document must be OpenAPI 3")
        self.document = document
        self.routes = [self._route(path, item) for path, item in (document.get("paths") or {}).items()]
        # API Gateway prefers the most specific resource: static segments win over parameters.
        self.routes.sort(key=lambda route: route.static_segments, reverse=True)

    @classmethod
    def load(cls, openapi_path: Path, template_values: Mapping[str, str]) -> "ApiDocument":
        rendered = render_openapi_template(openapi_path.read_text(encoding="utf-8"), template_values)
        document = yaml.safe_load(rendered)
        if not isinstance(document, dict):
            raise DocumentError(f"{openapi_path} is not a YAML mapping")
        return cls(document)

    def resolve(self, node: Any) -> Any:
        """`node`, with a local `$ref` (and a chain of them) followed."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and "$ref" in node:
            reference = str(node["$ref"])
            if not reference.startswith("#/") or reference in seen:
                raise DocumentError(f"unsupported or circular $ref {reference!r}")
            seen.add(reference)
            node = self.document
            for part in reference[2:].split("/"):
                key = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, Mapping) or key not in node:
                    raise DocumentError(f"$ref {reference!r} points nowhere")
                node = node[key]
        return node

    def _route(self, resource_path: str, item: Mapping[str, Any]) -> Route:
        pattern, names, static_segments = _compile_path(resource_path)
        shared_parameters = [self.resolve(parameter) for parameter in item.get("parameters", [])]
        operations = {}
        for method in HTTP_METHODS:
            if method in item:
                operations[method.upper()] = self._operation(
                    method, resource_path, item[method], shared_parameters
                )
        return Route(resource_path, pattern, names, static_segments, operations)

    def _operation(
        self, method: str, resource_path: str, spec: Mapping[str, Any], shared: list[Mapping[str, Any]]
    ) -> Operation:
        integration = spec.get("x-amazon-apigateway-integration")
        if not isinstance(integration, Mapping):
            raise DocumentError(f"{method.upper()} {resource_path} has no x-amazon-apigateway-integration")
        own = [self.resolve(parameter) for parameter in spec.get("parameters", [])]
        overridden = {(parameter["in"], parameter["name"]) for parameter in own}
        parameters = [p for p in shared if (p["in"], p["name"]) not in overridden] + own
        validator_name = spec.get(
            "x-amazon-apigateway-request-validator",
            self.document.get("x-amazon-apigateway-request-validator"),
        )
        validators = self.document.get("x-amazon-apigateway-request-validators") or {}
        if validator_name is not None and validator_name not in validators:
            raise DocumentError(
                f"{method.upper()} {resource_path} names an unknown validator {validator_name!r}"
            )
        body = spec.get("requestBody")
        return Operation(
            method=method.upper(),
            resource_path=resource_path,
            spec=spec,
            integration=integration,
            security=list(spec.get("security", self.document.get("security", []))),
            validator=validators.get(validator_name, {}) if validator_name else {},
            parameters=parameters,
            request_body=self.resolve(body) if body is not None else None,
        )

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        """The resource serving `path` and its path parameters, or None."""
        normalised = path.rstrip("/") or "/"
        for route in self.routes:
            found = route.pattern.match(normalised)
            if found is not None:
                return route, dict(zip(route.parameter_names, found.groups(), strict=True))
        return None

    def security_scheme(self, name: str) -> Mapping[str, Any]:
        schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        if name not in schemes:
            raise DocumentError(f"unknown security scheme {name!r}")
        scheme: Mapping[str, Any] = self.resolve(schemes[name])
        return scheme

    @property
    def binary_media_types(self) -> tuple[str, ...]:
        """The media types whose answers are binary (`x-amazon-apigateway-binary-media-types`)."""
        return tuple(
            str(media_type)
            for media_type in self.document.get("x-amazon-apigateway-binary-media-types") or ()
        )

    @property
    def gateway_responses(self) -> Mapping[str, Mapping[str, Any]]:
        responses: Mapping[str, Mapping[str, Any]] = (
            self.document.get("x-amazon-apigateway-gateway-responses") or {}
        )
        return responses
