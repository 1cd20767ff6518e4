"""templatefile semantics: what Terraform accepts and renders, the local gateway renders alike."""

import pytest

from busgps.local.gateway import TemplateRenderError, render_openapi_template

from .conftest import OPENAPI_PATH, TEMPLATE_VALUES


def test_placeholders_are_filled_in() -> None:
    # Given a template with two placeholders, one with spaces inside the braces
    text = "stream: ${stream_name}\nregion: ${ aws_region }\n"
    # When it is rendered
    rendered = render_openapi_template(text, {"stream_name": "s", "aws_region": "eu-west-1"})
    # Then both are replaced by their values
    assert rendered == "stream: s\nregion: eu-west-1\n"


def test_escapes_give_literal_dollar_and_percent_braces() -> None:
    # Given VTL that needs a literal "${" and a literal "%{", written with templatefile's escapes
    text = "$${input.body} %%{x} $$ $plain ${name}"
    # When it is rendered
    rendered = render_openapi_template(text, {"name": "n"})
    # Then the escapes become the literals and lone dollars stay as they are
    assert rendered == "${input.body} %{x} $$ $plain n"


def test_a_missing_value_names_the_placeholder_and_its_line() -> None:
    # Given a template whose second line uses a name that has no value
    text = "a: ${stream_name}\nb: ${user_pool_arn}\n"
    # When it is rendered without that value
    with pytest.raises(TemplateRenderError) as raised:
        render_openapi_template(text, {"stream_name": "s"})
    # Then the error names the placeholder and where it is
    assert "user_pool_arn (line 2)" in str(raised.value)


@pytest.mark.parametrize(
    "text", ["${var.x}", "${upper(x)}", "${~ x ~}", "%{ if x }y%{ endif }", "${unclosed"]
)
def test_what_is_not_a_plain_placeholder_is_refused(text: str) -> None:
    # Given a template using an expression, a strip marker, a directive or an unclosed brace
    # When it is rendered
    # Then it is refused rather than passed through
    with pytest.raises(TemplateRenderError):
        render_openapi_template(text, {"x": "1"})


def test_the_api_document_needs_exactly_the_contract_placeholders() -> None:
    # Given the API document and the six placeholder values of the contract
    text = OPENAPI_PATH.read_text(encoding="utf-8")
    # When it is rendered with them
    rendered = render_openapi_template(text, TEMPLATE_VALUES)
    # Then no placeholder is left, and each value was used
    assert "${stream_name}" not in rendered
    for value in TEMPLATE_VALUES.values():
        assert value in rendered
    # And each single value left out is reported as missing
    for name in TEMPLATE_VALUES:
        with pytest.raises(TemplateRenderError, match=name):
            render_openapi_template(text, {key: v for key, v in TEMPLATE_VALUES.items() if key != name})
