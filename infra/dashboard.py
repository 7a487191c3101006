"""The staff dashboard in CloudWatch, generated from the workflows (one line per open
status, labelled as staff read it) and from template.yaml (functions, failure queues,
alarms). template.yaml holds the result; ``python -m infra.dashboard --write`` regenerates
it and tests/infra/test_operations.py fails when the two drift apart.

Placeholders ``${LogicalId}`` are resolved by CloudFormation (``Fn::Sub``).
"""
from __future__ import annotations

import argparse
import json
import re
from typing import Any

from butler.domain.complaints import COMPLAINT_WORKFLOW
from butler.domain.repairs import REPAIR_WORKFLOW
from infra.template import TEMPLATE_PATH, functions, load_template, resources

NAMESPACE = "PropertyButler"
SWEEP = "overdue-sweep"  # the service that reports open and overdue work
OPEN_WORK = (("repair", "报修待办（按状态）", REPAIR_WORKFLOW),
             ("complaint", "咨询投诉建议待办（按状态）", COMPLAINT_WORKFLOW))
SUBMISSIONS = (("RepairReported", "repairs", "报修"), ("EmergencyReported", "repairs", "其中紧急报修"),
               ("CaseFiled", "complaints", "咨询投诉建议"), ("SurveyAnswered", "surveys", "满意度答卷"))
GUIDE = (
    "# 物业服务台\n"
    "待办与超时数据由超时巡检每 5 分钟统计一次；每日提交量按北京时间 08:00 起算的 24 小时汇总。"
    "处理工单请在 DynamoDB 控制台打开报修表或投诉建议表，按索引 `queue-by-created-at`（按状态）"
    "或 `overdue-by-due`（已超时）查询；操作方法见《员工操作手册》。"
    "告警同时发送到值班管家邮箱。"
)


def failure_queues(template: dict[str, Any]) -> list[str]:
    """Logical ids of the SQS queues that receive what a function finally failed to do."""
    found = re.findall(r'"OnFailure": \{[^{}]*"Destination": \{"Fn::GetAtt": \["(\w+)", "Arn"\]',
                       json.dumps(template["Resources"]))
    return sorted(set(found))


def _metric(namespace: str, name: str, dimensions: dict[str, str], label: str, **options: Any) -> list[Any]:
    flat = [value for pair in dimensions.items() for value in pair]
    return [namespace, name, *flat, {"label": label, **options}]


def _widget(x: int, y: int, width: int, height: int, title: str, metrics: list[Any], *,
            stat: str = "Sum", period: int = 300, view: str = "timeSeries", stacked: bool = False) -> dict[str, Any]:
    return {"type": "metric", "x": x, "y": y, "width": width, "height": height,
            "properties": {"title": title, "region": "${AWS::Region}", "metrics": metrics, "stat": stat,
                           "period": period, "view": view, "stacked": stacked}}


def body(template: dict[str, Any]) -> dict[str, Any]:
    specs = functions(template)
    widgets: list[dict[str, Any]] = [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 3, "properties": {"markdown": GUIDE}}]
    for column, (kind, title, workflow) in enumerate(OPEN_WORK):
        lines = [_metric(NAMESPACE, "OpenWork", {"Kind": kind, "Status": state.code, "service": SWEEP}, state.label)
                 for state in workflow.states if not state.final]
        widgets.append(_widget(12 * column, 3, 12, 7, title, lines, stat="Maximum", stacked=True))
    overdue = [_metric(NAMESPACE, "OverdueWork", {"Kind": kind, "service": SWEEP}, f"{title[:title.index('待办')]}超时")
               for kind, title, _ in OPEN_WORK]
    overdue.append(_metric(NAMESPACE, "OverdueAlerted", {"service": SWEEP}, "新发超时告警", stat="Sum"))
    widgets.append(_widget(0, 10, 8, 6, "超时未办", overdue, stat="Maximum"))
    widgets.append(_widget(8, 10, 8, 6, "每日提交", [
        _metric(NAMESPACE, name, {"service": service}, label) for name, service, label in SUBMISSIONS],
        period=86400, view="bar"))
    api = {"ApiName": "${AWS::StackName}-api", "Stage": "${StageName}"}
    widgets.append(_widget(16, 10, 8, 6, "接口错误", [
        _metric("AWS/ApiGateway", "5XXError", api, "服务器错误（5xx）"),
        _metric("AWS/ApiGateway", "4XXError", api, "请求被拒（4xx，含限流 429）")]))
    lambda_lines = [_metric("AWS/Lambda", metric, {"FunctionName": f"${{{spec.logical_id}}}"},
                            f"{spec.environment['POWERTOOLS_SERVICE_NAME']} {label}")
                    for spec in specs for metric, label in (("Errors", "出错"), ("Throttles", "限流"))]
    widgets.append(_widget(0, 16, 12, 6, "函数出错与限流", lambda_lines))
    queue_lines = [_metric("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                           {"QueueName": f"${{{queue}.QueueName}}"}, queue)
                   for queue in failure_queues(template)]
    widgets.append(_widget(12, 16, 12, 6, "失败待查（重试用尽的消息）", queue_lines, stat="Maximum"))
    # By name, not by reference: the dashboard does not wait for (or depend on) the alarms.
    alarms = sorted(a["Properties"]["AlarmName"]["Fn::Sub"] for a in resources(template, "AWS::CloudWatch::Alarm").values())
    arn = "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"
    widgets.append({"type": "alarm", "x": 0, "y": 22, "width": 24, "height": 4,
                    "properties": {"title": "告警", "alarms": [arn + name for name in alarms]}})
    return {"start": "-P7D", "periodOverride": "inherit", "widgets": widgets}


def render(template: dict[str, Any]) -> str:
    return json.dumps(body(template), ensure_ascii=False, indent=1)


BLOCK = re.compile(r"(      DashboardBody: !Sub \|\n)((?:        .*\n)+)")


def write() -> None:
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    indented = "".join(f"        {line}\n" for line in render(load_template()).splitlines())
    updated, count = BLOCK.subn(lambda m: m.group(1) + indented, text)
    if count != 1:
        raise SystemExit("template.yaml: no 'DashboardBody: !Sub |' block to replace")
    TEMPLATE_PATH.write_text(updated, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the dashboard in template.yaml")
    if parser.parse_args().write:
        write()
    else:
        print(render(load_template()))


if __name__ == "__main__":
    main()
