"""OverdueSweepFunction: on a schedule, marks repairs and complaints past their deadline and
alerts staff once per breach."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from butler.domain.timefmt import parse_iso, utc_now
from butler.notify import SnsNotifier
from butler.repository.complaints import ComplaintRepository
from butler.repository.work_orders import WorkOrderRepository
from butler.services.alerts import sweep_overdue
from butler.settings import load_settings

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event, context):
    settings = load_settings()
    # A scheduled event carries the time it was due; the sweep judges deadlines against it.
    now = parse_iso(event["time"]) if isinstance(event, dict) and event.get("time") else utc_now()
    notifier = SnsNotifier(settings.alerts_topic_arn)
    sent = [*sweep_overdue(WorkOrderRepository(settings.repairs_table), notifier, now),
            *sweep_overdue(ComplaintRepository(settings.complaints_table), notifier, now)]
    metrics.add_metric("OverdueAlerted", MetricUnit.Count, len(sent))
    logger.info("overdue sweep", extra={"alerted": len(sent)})
    return {"alerted": sent}
