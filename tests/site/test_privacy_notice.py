"""Both forms that take a name and a phone number say what they are for and when they are
deleted: the retention period the anonymisation function applies (its template default)."""
import re

import pytest

from butler.domain.retention import DEFAULT_RETENTION_DAYS
from infra.template import load_template


@pytest.mark.parametrize("page", ["repairs", "complaints"])
def test_the_phone_hint_tells_residents_when_their_details_are_deleted(page_html, page):
    hint = re.search(r'<p class="field-hint" id="hint-contact_phone">(.*?)</p>', page_html(page), re.S).group(1)
    text = re.sub(r"<[^>]+>", "", hint)

    assert f"办结 {DEFAULT_RETENTION_DAYS} 天后自动删除" in text
    assert "姓名和电话只用于处理" in text


def test_the_site_states_the_period_the_template_deploys_by_default():
    parameter = load_template()["Parameters"]["ContactRetentionDays"]
    assert int(parameter["Default"]) == DEFAULT_RETENTION_DAYS
