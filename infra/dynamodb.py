"""Create the tables declared in template.yaml (moto server locally and in tests)."""
from __future__ import annotations

from typing import Any

from infra.template import physical_table_names, tables

_CREATE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
                "LocalSecondaryIndexes", "BillingMode")


def create_tables(client: Any, template: dict[str, Any], stack_name: str) -> dict[str, str]:
    """Create every table of the template; returns logical id → physical name."""
    names = physical_table_names(template, stack_name)
    for logical_id, props in tables(template).items():
        request = {key: props[key] for key in _CREATE_KEYS if key in props}
        if "StreamSpecification" in props:
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if props.get("SSESpecification", {}).get("SSEEnabled"):
            request["SSESpecification"] = {"Enabled": True}
        request["DeletionProtectionEnabled"] = bool(props.get("DeletionProtectionEnabled"))
        client.create_table(TableName=names[logical_id], **request)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(TableName=names[logical_id], TimeToLiveSpecification=ttl)
    return names
