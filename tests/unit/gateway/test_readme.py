"""The README's API reference keeps up with the documents it summarises."""

import re
from pathlib import Path

from busgps.local.gateway.document import ApiDocument

from .conftest import INGEST_PATH, INGEST_TEMPLATE_VALUES, OPENAPI_PATH, TEMPLATE_VALUES

README = Path(__file__).resolve().parents[3] / "README.md"


def _api_reference() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"^## API reference\n(?P<section>.*?)^## ", text, re.S | re.M)
    assert found, "README.md has an API reference section"
    return found.group("section")


def test_every_route_of_the_documents_is_in_the_reference(
    api_document: ApiDocument, ingest_document: ApiDocument
) -> None:
    # Given the API reference and the documents' routes (preflights aside)
    reference = _api_reference()
    routes = [
        f"{method} {route.resource_path}"
        for route in [*api_document.routes, *ingest_document.routes]
        for method in route.operations
        if method != "OPTIONS"
    ]
    # When each is looked up in the reference
    missing = [route for route in routes if f"`{route}" not in reference]
    # Then every one is there
    assert routes
    assert missing == []


def test_every_gateway_response_status_is_in_the_reference(api_document: ApiDocument) -> None:
    # Given the document's gateway responses that set a status
    statuses = {
        str(response["statusCode"])
        for response in api_document.gateway_responses.values()
        if "statusCode" in response
    }
    reference = _api_reference()
    # When the errors table is read
    listed = set(re.findall(r"^\| (\d{3}) \|", reference, re.M))
    # Then it lists each of them
    assert statuses <= listed


def test_every_placeholder_and_model_named_in_the_reference_exists() -> None:
    # Given the reference's placeholders and model names
    reference = _api_reference()
    document_text = OPENAPI_PATH.read_text(encoding="utf-8") + INGEST_PATH.read_text(encoding="utf-8")
    placeholders = set(re.findall(r"`\$\{(\w+)\}`", reference))
    models = set(re.findall(r"the `(\w+)` model", reference))
    # When they are compared with the documents
    # Then the placeholders are exactly the templates', and each model is one of their schemas
    assert placeholders == set(TEMPLATE_VALUES) | set(INGEST_TEMPLATE_VALUES)
    assert models
    assert all(f"\n    {model}:\n" in document_text for model in models)
