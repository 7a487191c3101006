"""StaffEditGuardFunction: the repairs and complaints tables' streams. Checks console edits
against each case's workflow and alerts staff about new emergency reports.

Partial batch responses (template.yaml: ReportBatchItemFailures), as powertools' batch
processor gives them: every record is handled; the ones that failed are reported, so Lambda
retries from the first of them and finally sends what still fails to the on-failure queue,
while a poison record does not hold back the healthy ones behind it (they may run again on
a retry: every side effect is applied once, see services/alerts.py). If every record
failed, the function fails, and Lambda bisects the batch. Written out here rather than with
powertools' batch utility, which costs this function a fifth of its cold start (docs/cold-start.md)."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from butler.domain.repairs import REPAIR_WORKFLOW
from butler.domain.timefmt import utc_now
from butler.notify import SnsNotifier
from butler.repository.complaints import ComplaintRepository
from butler.repository.work_orders import WorkOrderRepository
from butler.roster import load_roster
from butler.services.alerts import alert_emergency
from butler.services.console_guard import check_console_edit
from butler.services.shared_faults import close_linked
from butler.settings import Settings, load_settings
from handlers import loaded

logger = Logger()
metrics = Metrics()


def repository_for(source_arn: str, settings: Settings):
    """The repository of the table whose stream sent the record."""
    table = source_arn.split(":table/", 1)[-1].split("/stream/", 1)[0]
    if table == settings.complaints_table:
        return ComplaintRepository(table)
    if table == settings.repairs_table:
        return WorkOrderRepository(table)
    raise ValueError(f"no case table named {table}")


def record_handler(record: dict) -> None:
    settings = load_settings()
    repo = repository_for(record["eventSourceARN"], settings)
    images = record["dynamodb"]
    reference = images["Keys"]["reference"]["S"]
    if record["eventName"] == "INSERT" and isinstance(repo, WorkOrderRepository):
        if alert_emergency(repo, SnsNotifier(settings.alerts_topic_arn), reference):
            logger.info("emergency alerted", extra={"reference": reference})
            metrics.add_metric("EmergencyAlerted", MetricUnit.Count, 1)
    elif record["eventName"] == "MODIFY":
        outcome = check_console_edit(repo, images["OldImage"], images["NewImage"], load_roster(), utc_now())
        if outcome.kind not in ("ignored", "unchanged"):
            logger.info("console edit checked", extra={
                "reference": reference, "outcome": outcome.kind, "step": outcome.action})
            metrics.add_metric(f"ConsoleEdit{outcome.kind.capitalize()}", MetricUnit.Count, 1)
        if isinstance(repo, WorkOrderRepository) and _became_final(images):
            order = repo.get(reference)
            closed = close_linked(repo, order, utc_now()) if order else []
            if closed:
                logger.info("merged reports closed", extra={"reference": reference, "closed": len(closed)})


def _became_final(images: dict) -> bool:
    before = images["OldImage"].get("applied_status", {}).get("S")
    after = images["NewImage"].get("applied_status", {}).get("S")
    return (before != after and REPAIR_WORKFLOW.has_state(after or "")
            and REPAIR_WORKFLOW.state(after).final)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event, context):
    records = event.get("Records", [])
    failed = []
    for record in records:
        try:
            record_handler(record)
        except Exception:
            failed.append(record["dynamodb"]["SequenceNumber"])
            logger.exception("stream record failed", extra={"sequence_number": failed[-1]})
    if records and len(failed) == len(records):
        raise RuntimeError(f"all {len(records)} records of the batch failed")
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}


loaded()  # last: the import is done (handlers/__init__.py)
