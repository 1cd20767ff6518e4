"""`make soak`: the promise "a position accepted is a position kept, once" at volume and under faults.

A soak starts a local stack of its own with every fault kind on (`busgps local up --faults`), sends a
fleet's fixes from concurrent clients through the devices' HTTP API (`POST /v1/positions`, with exact
duplicates and late fixes, resending what the answers list as failed), waits for the consumer, then
checks through the public API only (every page of the /v1 reads, and the operator's `rejects` and
`failures`) that every fix is in history exactly once, that every bus's latest position is its newest
fix, and that nothing good is in the queues; then it fuzzes the running stack from both API documents,
each against its own API.
"""
