"""Terraform's `templatefile` semantics, for the placeholders of api/openapi.yaml.

Terraform renders the document before it deploys it; the local gateway renders it the same way, so a
placeholder that Terraform would refuse fails here too.
"""

import re
from collections.abc import Mapping

# One token at a time: an escape, an interpolation, or the start of something templatefile would read.
_TOKEN = re.compile(r"\$\$\{|%%\{|\$\{(?P<body>[^}]*)\}?|%\{")
_NAME = re.compile(r"\s*(?P<name>[A-Za-z_][A-Za-z0-9_-]*)\s*")


class TemplateRenderError(ValueError):
    """The template uses something Terraform's templatefile would refuse or that is not given."""


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def render_openapi_template(text: str, values: Mapping[str, str]) -> str:
    """Fill `${name}` placeholders from `values`; `$${` gives `${` and `%%{` gives `%{`.

    Only plain names are accepted: an expression, a strip marker or a `%{` directive is refused,
    and so is a name missing from `values` (naming every such name and its line).
    """
    missing: list[str] = []
    rendered: list[str] = []
    position = 0
    for token in _TOKEN.finditer(text):
        rendered.append(text[position : token.start()])
        position = token.end()
        matched = token.group(0)
        if matched == "$${":
            rendered.append("${")
        elif matched == "%%{":
            rendered.append("%{")
        elif matched == "%{":
            raise TemplateRenderError(
                f"line {_line_of(text, token.start())}: template directives (%{{...}}) are not supported; "
                "write a literal as %%{"
            )
        else:
            body = token.group("body")
            name = _NAME.fullmatch(body) if matched.endswith("}") else None
            if name is None:
                raise TemplateRenderError(
                    f"line {_line_of(text, token.start())}: {matched!r} is not a plain placeholder; "
                    "write a literal as $${"
                )
            key = name.group("name")
            if key in values:
                rendered.append(values[key])
            else:
                missing.append(f"{key} (line {_line_of(text, token.start())})")
    if missing:
        raise TemplateRenderError(f"no value for the placeholders: {', '.join(missing)}")
    rendered.append(text[position:])
    return "".join(rendered)
