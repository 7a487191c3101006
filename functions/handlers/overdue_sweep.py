"""OverdueSweepFunction: on a schedule, marks repairs and complaints past their deadline and
alerts staff once per breach, archives the repairs that are rated or whose rating window
has passed (``butler.services.archiving``), then reports the open work per status and the overdue count
to the staff dashboard (metrics OpenWork and OverdueWork, dimensions Kind and Status)."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from butler.domain.timefmt import scheduled_time
from butler.notify import SnsNotifier
from butler.repository.complaints import ComplaintRepository
from butler.repository.work_orders import WorkOrderRepository
from butler.services.alerts import sweep_overdue
from butler.services.archiving import archive_settled
from butler.services.workload import Workload, workload
from butler.settings import load_settings
from handlers import loaded

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event, context):
    settings = load_settings()
    now = scheduled_time(event)
    notifier = SnsNotifier(settings.alerts_topic_arn)
    repos = (WorkOrderRepository(settings.repairs_table), ComplaintRepository(settings.complaints_table))
    sent = [alert for repo in repos for alert in sweep_overdue(repo, notifier, now)]
    metrics.add_metric("OverdueAlerted", MetricUnit.Count, len(sent))
    archived = archive_settled(repos[0], now)
    metrics.add_metric("RepairsArchived", MetricUnit.Count, len(archived))
    for repo in repos:
        publish(workload(repo))
    logger.info("overdue sweep", extra={"alerted": len(sent), "archived": len(archived)})
    return {"alerted": sent, "archived": archived}


def publish(load: Workload) -> None:
    """One data point per open status (zeros too, so the dashboard's lines fall to zero)."""
    for status, count in load.open_by_status.items():
        with single_metric(name="OpenWork", unit=MetricUnit.Count, value=count,
                           default_dimensions={"Kind": load.kind}) as metric:
            metric.add_dimension("Status", status)
    with single_metric(name="OverdueWork", unit=MetricUnit.Count, value=load.overdue,
                       default_dimensions={"Kind": load.kind}):
        pass


loaded()  # last: the import is done (handlers/__init__.py)
