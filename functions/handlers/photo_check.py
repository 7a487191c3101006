"""PhotoCheckFunction: S3 → EventBridge "Object Created" under ``photo-uploads/``; keeps a
file only if it is the picture its record was made for (butler.services.photo_checks).
Logs the reference, the photo id, the outcome and a reason code: never the file."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from butler.domain.timefmt import utc_now
from butler.repository.photo_store import PhotoStore
from butler.repository.work_orders import WorkOrderRepository
from butler.services.photo_checks import check_upload
from butler.settings import load_settings
from handlers import loaded

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event, context):
    settings = load_settings()
    detail = event.get("detail") or {}
    bucket = (detail.get("bucket") or {}).get("name")
    key = (detail.get("object") or {}).get("key") or ""
    if bucket != settings.photos_bucket:  # the rule names the bucket; anything else is not ours
        logger.warning("photo check for another bucket ignored")
        return {"outcome": "ignored"}
    checked = check_upload(WorkOrderRepository(settings.repairs_table), PhotoStore(settings.photos_bucket),
                           key, now=utc_now())
    logger.info("photo checked", extra={"reference": checked.reference, "photo_id": checked.photo_id,
                                        "outcome": checked.outcome, "reason": checked.reason})
    if checked.outcome != "verified":
        metrics.add_metric("PhotoDropped", MetricUnit.Count, 1)
    return {"outcome": checked.outcome, "reason": checked.reason}


loaded()  # last: the import is done (handlers/__init__.py)
