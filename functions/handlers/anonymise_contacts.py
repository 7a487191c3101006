"""AnonymiseContactsFunction: daily, removes residents' contact details and photos from
repairs and complaints closed longer than the retention period (CONTACT_RETENTION_DAYS;
butler.domain.retention says what goes and what stays). Logs references and counts only."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from butler.domain.retention import retention_period
from butler.domain.timefmt import scheduled_time
from butler.repository.complaints import ComplaintRepository
from butler.repository.photo_store import PhotoStore
from butler.repository.work_orders import WorkOrderRepository
from butler.services.retention import anonymise_closed
from butler.settings import load_settings
from handlers import loaded

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event, context):
    settings = load_settings()
    now = scheduled_time(event)
    period = retention_period(settings.contact_retention_days)
    time_left = getattr(context, "get_remaining_time_in_millis", None)
    photos = PhotoStore(settings.photos_bucket) if settings.photos_bucket else None
    runs = {"repairs": anonymise_closed(WorkOrderRepository(settings.repairs_table), photos, now=now,
                                        retention_period=period, time_left_ms=time_left),
            "complaints": anonymise_closed(ComplaintRepository(settings.complaints_table), None, now=now,
                                           retention_period=period, time_left_ms=time_left)}
    anonymised = [reference for run in runs.values() for reference in run.anonymised]
    metrics.add_metric("ContactsAnonymised", MetricUnit.Count, len(anonymised))
    logger.info("contacts anonymised", extra={
        "retention_days": settings.contact_retention_days, "anonymised": len(anonymised),
        "references": anonymised, "skipped": sum(run.skipped for run in runs.values()),
        "more": [name for name, run in runs.items() if run.more]})
    return {"anonymised": anonymised, "more": any(run.more for run in runs.values())}


loaded()  # last: the import is done (handlers/__init__.py)
