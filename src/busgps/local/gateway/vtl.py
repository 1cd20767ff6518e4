"""Mapping templates: a real Velocity engine (airspeed) with API Gateway's `$input`, `$util`, `$context`."""

import base64
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import airspeed

from busgps.local.gateway import jsonpath


class MappingTemplateError(RuntimeError):
    """A mapping template that does not parse or fails while rendering (API Gateway answers 500)."""


def escape_javascript(text: str) -> str:
    """`$util.escapeJavaScript`: the rules of Apache Commons' StringEscapeUtils, which API Gateway uses.

    Like API Gateway it also escapes single quotes (as \\'), which JSON does not allow: in JSON
    templates `$input.json(...)` is the safe way to quote a string.
    """
    named = {"\b": "\\b", "\n": "\\n", "\t": "\\t", "\f": "\\f", "\r": "\\r"}
    quoted = {"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/"}
    escaped: list[str] = []
    # Java strings are UTF-16: a character beyond the BMP is escaped as its two surrogates.
    utf16 = text.encode("utf-16-be", "surrogatepass")
    for offset in range(0, len(utf16), 2):
        code = int.from_bytes(utf16[offset : offset + 2], "big")
        character = chr(code)
        if code > 0x7F:
            escaped.append(f"\\u{code:04X}")
        elif character in named:
            escaped.append(named[character])
        elif code < 32:
            escaped.append(f"\\u{code:04X}")
        else:
            escaped.append(quoted.get(character, character))
    return "".join(escaped)


class Util:
    """`$util`."""

    def escapeJavaScript(self, text: Any) -> str:
        return escape_javascript(str(text))

    def parseJson(self, text: Any) -> Any:
        return json.loads(str(text))

    def base64Encode(self, text: Any) -> str:
        return base64.b64encode(str(text).encode("utf-8")).decode("ascii")

    def base64Decode(self, text: Any) -> str:
        return base64.b64decode(str(text)).decode("utf-8", errors="replace")

    def urlEncode(self, text: Any) -> str:
        # java.net.URLEncoder: letters, digits and .-*_ stay; a space becomes +.
        return urllib.parse.quote_plus(str(text), safe="*").replace("~", "%7E")

    def urlDecode(self, text: Any) -> str:
        return urllib.parse.unquote_plus(str(text))


@dataclass
class Input:
    """`$input`: the body (the request's, or the integration's in a response template) and the parameters."""

    body: str
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    query_parameters: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def _document(self) -> Any:
        # Parsed once: a batch template reads the body once per entry.
        try:
            return json.loads(self.body) if self.body.strip() else None
        except json.JSONDecodeError:
            return None

    def path(self, path: str) -> Any:
        """The value at a JSONPath, as an object the template can walk."""
        return jsonpath.select(self._document, path)

    def json(self, path: str) -> str:
        """The value at a JSONPath, as JSON text."""
        return json.dumps(self.path(path), separators=(",", ":"), ensure_ascii=False)

    def params(self, name: str | None = None) -> Any:
        """All parameters by location, or one by name: path first, then query string, then header."""
        if name is None:
            return {
                "path": dict(self.path_parameters),
                "querystring": dict(self.query_parameters),
                "header": dict(self.headers),
            }
        lowered = {key.lower(): value for key, value in self.headers.items()}
        for source in (self.path_parameters, self.query_parameters):
            if name in source:
                return source[name]
        return lowered.get(name.lower(), "")


@lru_cache(maxsize=256)
def _compiled(template: str) -> Any:
    try:
        return airspeed.Template(template)
    except airspeed.TemplateSyntaxError as error:
        raise MappingTemplateError(f"mapping template does not parse: {error}") from error


def render_mapping_template(template: str, template_input: Input, context: dict[str, Any]) -> str:
    """Render `template` as API Gateway does; `context` may be changed by the template (#set)."""
    namespace = {
        "input": template_input,
        "util": Util(),
        "context": context,
        "stageVariables": context.get("stageVariables", {}),
    }
    try:
        rendered: str = _compiled(template).merge(namespace)
    except (airspeed.TemplateError, ValueError, TypeError, KeyError) as error:
        raise MappingTemplateError(f"mapping template failed: {error}") from error
    return rendered
