"""Valid repair reports to start from in tests."""
from __future__ import annotations

from typing import Any


def home_report(**overrides: Any) -> dict[str, Any]:
    report = {
        "category": "plumbing",
        "urgency": "normal",
        "location_type": "home",
        "unit": "3-2-1201",
        "location": "厨房",
        "description": "厨房水龙头关不紧，一直滴水。",
        "contact_name": "陈女士",
        "contact_phone": "13912345678",
        "preferred_time": "工作日晚上",
    }
    report.update(overrides)
    return {k: v for k, v in report.items() if v is not None}


def public_report(**overrides: Any) -> dict[str, Any]:
    values = {"location_type": "public", "unit": None, "location": "5号楼2单元一楼楼道",
              "category": "public_facilities", "description": "楼道灯不亮，晚上很黑。"}
    return home_report(**{**values, **overrides})
