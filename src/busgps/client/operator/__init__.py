"""What an operator on call needs: the records the consumer refused, the batches Lambda gave up on,
and their redrive, against the local stack or a deployed environment alike."""
