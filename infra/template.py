"""Read template.yaml: tables, functions, routes and security headers, as plain data.

Tests and the local stack take every table and route from here, never from a copy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns short-form intrinsics (``!Ref X``) into their long form."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass(frozen=True)
class Route:
    method: str  # upper case
    path: str  # as declared, e.g. /api/repairs/{reference}
    function: str  # logical id
    handler: str  # module.attribute


@dataclass
class FunctionSpec:
    logical_id: str
    handler: str
    environment: dict[str, Any] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # non-API event sources
    timeout: int = 3  # seconds (the function's Timeout, else the Globals', else Lambda's default)

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e["Properties"] for e in self.events.values() if e.get("Type") == kind]


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id → the table's Properties."""
    return {lid: r["Properties"] for lid, r in resources(template, "AWS::DynamoDB::Table").items()}


def functions(template: dict[str, Any]) -> list[FunctionSpec]:
    global_env = (template.get("Globals", {}).get("Function", {})
                  .get("Environment", {}).get("Variables", {}))
    specs = []
    for logical_id, resource in resources(template, "AWS::Serverless::Function").items():
        props = resource["Properties"]
        env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
        spec = FunctionSpec(logical_id, props["Handler"], env, timeout=int(
            props.get("Timeout", template.get("Globals", {}).get("Function", {}).get("Timeout", 3))))
        for name, event in props.get("Events", {}).items():
            if event.get("Type") == "Api":
                spec.routes.append(Route(event["Properties"]["Method"].upper(),
                                         event["Properties"]["Path"], logical_id, props["Handler"]))
            else:
                spec.events[name] = event
        specs.append(spec)
    return specs


def schedule_seconds(expression: str) -> int:
    """Seconds between runs of ``rate(N unit)``."""
    number, unit = expression.removeprefix("rate(").removesuffix(")").split()
    return int(number) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600,
                          "day": 86400, "days": 86400}[unit]


def seconds_to_next_run(expression: str, now: datetime) -> float:
    """Seconds from ``now`` to the next run of a schedule: a ``rate(...)`` runs that long
    after the previous run (the local stack starts the clock when it starts); a
    ``cron(minutes hours day-of-month month day-of-week year)`` runs at its UTC times.

    Locally, cron expressions may set minutes and hours (numbers, lists, ``*``); the
    other fields must be ``*`` or ``?`` (every day). Anything else is refused rather than
    run at the wrong time.
    """
    if expression.startswith("rate("):
        return float(schedule_seconds(expression))
    fields = expression.removeprefix("cron(").removesuffix(")").split()
    if not expression.startswith("cron(") or len(fields) != 6 or any(f not in ("*", "?") for f in fields[2:]):
        raise ValueError(f"schedule {expression!r} cannot run locally (daily cron or rate only)")
    minutes, hours = (_cron_values(fields[0], 60), _cron_values(fields[1], 24))
    moment = now.astimezone(timezone.utc).replace(second=0, microsecond=0)
    for _ in range(24 * 60):  # the next matching minute is within a day
        moment += timedelta(minutes=1)
        if moment.minute in minutes and moment.hour in hours:
            return (moment - now).total_seconds()
    raise ValueError(f"schedule {expression!r} never runs")


def _cron_values(field: str, size: int) -> set[int]:
    if field == "*":
        return set(range(size))
    values = {int(value) for value in field.split(",")}
    if not all(0 <= value < size for value in values):
        raise ValueError(f"cron field {field!r} out of range")
    return values


def routes(template: dict[str, Any]) -> list[Route]:
    return [route for spec in functions(template) for route in spec.routes]


def security_headers(template: dict[str, Any]) -> dict[str, str]:
    """The response headers CloudFront adds, from the ResponseHeadersPolicy."""
    (policy,) = resources(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    sts = f"max-age={hsts['AccessControlMaxAgeSec']}"
    if hsts.get("IncludeSubdomains"):
        sts += "; includeSubDomains"
    if hsts.get("Preload"):
        sts += "; preload"
    headers = {
        "Strict-Transport-Security": sts,
        "Content-Security-Policy": " ".join(security["ContentSecurityPolicy"]["ContentSecurityPolicy"].split()),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
    }
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        headers[item["Header"]] = item["Value"]
    return headers


def resolve(value: Any, refs: dict[str, str]) -> Any:
    """Resolve ``Ref`` and simple ``Fn::Sub`` against ``refs`` (logical ids and pseudo parameters)."""
    if isinstance(value, dict) and "Ref" in value:
        return refs[value["Ref"]]
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for name, replacement in refs.items():
            text = text.replace("${" + name + "}", replacement)
        if "${" in text:
            raise ValueError(f"cannot resolve {value['Fn::Sub']!r} locally")
        return text
    if isinstance(value, (dict, list)):
        raise ValueError(f"cannot resolve {value!r} locally")
    return value


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    """Each parameter's default, as CloudFormation passes it on (text): what a stack
    deployed without overrides, and the local stack, run with."""
    return {name: str(spec["Default"]) for name, spec in template.get("Parameters", {}).items()
            if "Default" in spec}


def physical_table_names(template: dict[str, Any], stack_name: str) -> dict[str, str]:
    refs = {"AWS::StackName": stack_name}
    return {lid: resolve(props.get("TableName", f"{stack_name}-{lid}"), refs)
            for lid, props in tables(template).items()}


def function_environment(template: dict[str, Any], stack_name: str, region: str,
                         extra_refs: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every function, resolved locally; one merged mapping.

    ``extra_refs`` resolves ``Ref`` to other resources (topic ARNs ...). The local stack
    runs all handlers in one process, so a variable must mean the same for every function
    that sets it (checked here).
    """
    refs = {"AWS::StackName": stack_name, "AWS::Region": region,
            **parameter_defaults(template),
            **physical_table_names(template, stack_name), **(extra_refs or {})}
    merged: dict[str, str] = {}
    for spec in functions(template):
        for name, raw in spec.environment.items():
            value = str(resolve(raw, refs))
            if merged.setdefault(name, value) != value and name != "POWERTOOLS_SERVICE_NAME":
                raise ValueError(f"{name} differs between functions: {merged[name]!r} vs {value!r}")
    merged.pop("POWERTOOLS_SERVICE_NAME", None)
    return merged
