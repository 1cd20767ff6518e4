"""The local stack: an emulator, a local API Gateway and an event source mapping, on one machine."""
