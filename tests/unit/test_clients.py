"""The AWS clients the functions share."""

from busgps.dal import clients
from busgps.dal.positions import LATEST_WRITE_CONCURRENCY


def test_the_pool_holds_a_connection_for_every_concurrent_write_of_latest_positions() -> None:
    # Given the DynamoDB client's configuration; when its connection pool is compared with the
    # consumer's concurrent writes, Then every write reuses a pooled connection, none is opened anew
    assert clients._CONFIG.max_pool_connections is not None
    assert clients._CONFIG.max_pool_connections >= LATEST_WRITE_CONCURRENCY
