"""The WebSocket connections table: one item per open connection, with its subscription if it has one.

Items expire (TTL) when API Gateway would have closed the connection anyway, 2 hours after it opened,
so a connection whose $disconnect never arrived does not stay forever.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from busgps import aws_limits
from busgps.logic.live import Subscription

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any


def connections_key_schema() -> tuple[list[Any], list[Any]]:
    """The connections table's key schema and attribute definitions, for whoever creates the table."""
    return (
        [{"AttributeName": "connectionId", "KeyType": "HASH"}],
        [{"AttributeName": "connectionId", "AttributeType": "S"}],
    )


@dataclass(frozen=True)
class Subscriber:
    connection_id: str
    subscription: Subscription


def _subscription_attributes(subscription: Subscription) -> dict[str, Any]:
    if subscription.bbox is not None:
        return {"M": {"bbox": {"L": [{"N": str(value)} for value in subscription.bbox]}}}
    if subscription.bus_ids is not None:
        return {"M": {"busIds": {"SS": sorted(subscription.bus_ids)}}}
    return {"M": {}}


def _subscription(attribute: dict[str, Any]) -> Subscription:
    fields = attribute["M"]
    if "bbox" in fields:
        west, south, east, north = (Decimal(value["N"]) for value in fields["bbox"]["L"])
        return Subscription(bbox=(west, south, east, north))
    if "busIds" in fields:
        return Subscription(bus_ids=frozenset(fields["busIds"]["SS"]))
    return Subscription()


@dataclass
class DynamoConnectionStore:
    client: DynamoDBClient
    table_name: str
    ttl_field_name: str

    def add(self, connection_id: str, connected_at_ms: int) -> None:
        expires_at = connected_at_ms // 1000 + aws_limits.WEBSOCKET_CONNECTION_MAX_SECONDS
        self.client.put_item(
            TableName=self.table_name,
            Item={
                "connectionId": {"S": connection_id},
                "connectedAtMs": {"N": str(connected_at_ms)},
                self.ttl_field_name: {"N": str(expires_at)},
            },
        )

    def subscribe(self, connection_id: str, subscription: Subscription) -> bool:
        """Set (or replace) the connection's subscription; False if the connection is gone."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={"connectionId": {"S": connection_id}},
                UpdateExpression="SET subscription = :subscription",
                ConditionExpression="attribute_exists(connectionId)",
                ExpressionAttributeValues={":subscription": _subscription_attributes(subscription)},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def remove(self, connection_id: str) -> None:
        self.client.delete_item(TableName=self.table_name, Key={"connectionId": {"S": connection_id}})

    def subscribers(self, now_s: int) -> Iterator[Subscriber]:
        """Every connection with a subscription that has not expired (TTL deletes only lazily)."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "ProjectionExpression": "connectionId, subscription",
            "FilterExpression": "attribute_exists(subscription) AND #expiry > :now",
            "ExpressionAttributeNames": {"#expiry": self.ttl_field_name},
            "ExpressionAttributeValues": {":now": {"N": str(now_s)}},
        }
        while True:
            response = self.client.scan(**request)
            for item in response.get("Items", []):
                yield Subscriber(item["connectionId"]["S"], _subscription(dict(item["subscription"])))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
