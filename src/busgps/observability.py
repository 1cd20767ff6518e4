"""The one place where logging and metrics are set up (Powertools), shared by every handler."""

import os

from aws_lambda_powertools import Logger, Metrics

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "busgps")

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(service=SERVICE_NAME, namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "busgps"))
