"""The fleet's listing reads the latest table a page at a time, asking only for what it still needs."""

from decimal import Decimal
from typing import Any

from busgps.dal.history import DynamoHistoryStore
from busgps.dal.items import ItemLayout
from busgps.dal.positions import DynamoPositionStore
from busgps.models.position import Position

LAYOUT = ItemLayout(ttl_field_name="expirationTime", ttl_seconds=3600)
NOW_S = 1_767_225_700


class LatestTable:
    """A Scan over `buses` latest items in key order, honouring Limit and ExclusiveStartKey as DynamoDB
    does (the filter on expiry passes every item), recording the items each page evaluated."""

    def __init__(self, buses: int) -> None:
        self.items = [
            LAYOUT.to_item(
                Position(
                    bus_id=f"bus-{bus:04d}",
                    time_ms=NOW_S * 1000 - 1_000,
                    latitude=Decimal("38.7"),
                    longitude=Decimal("-9.1"),
                    received_at_ms=NOW_S * 1000 - 500,
                    sequence_number=str(49 * 10**54 + bus),
                )
            )
            for bus in range(buses)
        ]
        self.evaluated: list[int] = []

    def scan(self, **request: Any) -> dict[str, Any]:
        start = 0
        if "ExclusiveStartKey" in request:
            after = request["ExclusiveStartKey"]["busId"]["S"]
            start = next(n for n, item in enumerate(self.items) if item["busId"]["S"] == after) + 1
        page = self.items[start : start + request["Limit"]]
        self.evaluated.append(len(page))
        answer: dict[str, Any] = {"Items": page}
        if start + len(page) < len(self.items):
            answer["LastEvaluatedKey"] = {"busId": page[-1]["busId"]}
        return answer


def store(table: LatestTable) -> DynamoPositionStore:
    return DynamoPositionStore(
        client=table,  # type: ignore[arg-type]
        latest_table_name="latest",
        history_store=DynamoHistoryStore(
            client=table,  # type: ignore[arg-type]
            table_name="history",
            ttl_field_name="expirationTime",
            retention_days=1,
        ),
        layout=LAYOUT,
    )


def test_a_full_page_of_the_fleet_reads_one_item_past_it_not_another_page() -> None:
    # Given more live buses than a page holds
    table = LatestTable(buses=2_500)
    # When the first 1,000 are listed
    page = store(table).list_latest(limit=1000, after_bus_id=None, now_s=NOW_S)
    # Then the page has 1,000 buses and says more exist, having read 1,001 items in all
    assert len(page.positions) == 1000
    assert page.has_more
    assert table.evaluated == [1000, 1]


def test_the_last_page_of_the_fleet_says_nothing_more_exists() -> None:
    # Given a fleet smaller than the page
    table = LatestTable(buses=40)
    # When it is listed
    page = store(table).list_latest(limit=1000, after_bus_id=None, now_s=NOW_S)
    # Then every bus is on it, and no later page is announced
    assert [position.bus_id for position in page.positions] == [f"bus-{bus:04d}" for bus in range(40)]
    assert not page.has_more
