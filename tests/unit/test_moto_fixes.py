"""The emulator's fixes of moto that can be checked without a server: answers as moto writes them."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from moto.core.serialize import BaseJSONSerializer, XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model

from busgps.local import moto_fixes

ITEMS: list[dict[str, Any]] = [
    {"busId": {"S": "17"}, "positionTimeMs": {"N": "1767225600000"}, "fixes": {"B": b"\x78\x9c\x00\xff"}},
    {
        "pk": {"S": "bus#17"},
        "flags": {"BOOL": True},
        "gone": {"NULL": True},
        "tags": {"SS": ["a", "b"]},
        "sizes": {"NS": ["1", "2.5"]},
        "blobs": {"BS": [b"\x00", "text"]},
        "nested": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"B": b"\x01"}}}]}}},
    },
    {"odd": {"N": 7}},  # not a wire value: moto's own serializer takes the map
]


def serialize(operation: str, result: dict[str, Any]) -> dict[str, Any]:
    model = get_service_model("dynamodb")
    serializer_class = get_serializer_class("dynamodb", "json")
    serializer = serializer_class(
        operation_model=model.operation_model(operation),
        pretty_print=False,
        value_picker=XFormedAttributePicker(response_transformers=None),
    )
    answer: dict[str, Any] = serializer.serialize(result)
    return answer


@pytest.fixture
def moto_serializer() -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """Serialize as moto alone does, whatever the fixes applied in this process."""
    fixed = BaseJSONSerializer._serialize_type_map
    original = getattr(fixed, "__wrapped_original__", None)

    def serialize_unfixed(operation: str, result: dict[str, Any]) -> dict[str, Any]:
        BaseJSONSerializer._serialize_type_map = original or fixed  # type: ignore[method-assign]
        try:
            return serialize(operation, result)
        finally:
            BaseJSONSerializer._serialize_type_map = fixed  # type: ignore[method-assign]

    return serialize_unfixed


@pytest.mark.parametrize(
    ("operation", "result"),
    [
        ("Query", {"Items": ITEMS, "Count": 3, "ScannedCount": 3, "LastEvaluatedKey": ITEMS[0]}),
        ("Scan", {"Items": ITEMS[:2], "Count": 2, "ScannedCount": 5}),
        ("GetItem", {"Item": ITEMS[1]}),
        ("BatchGetItem", {"Responses": {"t": ITEMS}, "UnprocessedKeys": {}}),
        ("PutItem", {"Attributes": ITEMS[0]}),
    ],
)
def test_items_are_answered_exactly_as_moto_answers_them(
    operation: str,
    result: dict[str, Any],
    moto_serializer: Callable[[str, dict[str, Any]], dict[str, Any]],
) -> None:
    # Given moto's own answer to an operation that returns items of every attribute type
    expected = moto_serializer(operation, result)
    # When the fixes answer it
    moto_fixes.apply()
    answer = serialize(operation, result)
    # Then the answer is the same: body, headers and status
    assert json.loads(answer["body"]) == json.loads(expected["body"])
    assert (answer["headers"], answer["status_code"]) == (expected["headers"], expected["status_code"])
