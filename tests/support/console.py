"""What a staff member does in the DynamoDB console: edit attributes of an item in place.
The console writes plain values and never touches ``version``."""
from __future__ import annotations

from typing import Any


def console_edit(dynamodb: Any, table: str, reference: str, **attributes: Any) -> None:
    names, values, sets, removes = {}, {}, [], []
    for i, (name, value) in enumerate(attributes.items()):
        names[f"#a{i}"] = name
        if value is None:
            removes.append(f"#a{i}")
        else:
            values[f":v{i}"] = {"S": str(value)}
            sets.append(f"#a{i} = :v{i}")
    expression = " ".join(filter(None, [
        "SET " + ", ".join(sets) if sets else "",
        "REMOVE " + ", ".join(removes) if removes else "",
    ]))
    dynamodb.update_item(TableName=table, Key={"reference": {"S": reference}},
                         UpdateExpression=expression, ExpressionAttributeNames=names,
                         **({"ExpressionAttributeValues": values} if values else {}))


def item(dynamodb: Any, table: str, reference: str) -> dict[str, Any]:
    raw = dynamodb.get_item(TableName=table, Key={"reference": {"S": reference}},
                            ConsistentRead=True)["Item"]
    return {name: _plain(value) for name, value in raw.items()}


def _plain(value: dict[str, Any]) -> Any:
    (kind, inner), = value.items()
    if kind == "N":
        return int(inner)
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind == "SS":
        return set(inner)
    return inner
