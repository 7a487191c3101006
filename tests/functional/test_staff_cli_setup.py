"""butler-staff set up the way staff set it up: the one block of environment settings the
local stack prints makes every command work without options; what cannot be reached is said
in Chinese with exit code 3; a typed option with a wrong value is a usage error (exit 2);
lists say which kind of case they show."""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from butler.cli.environment import VARIABLES
from butler.cli.kinds import KINDS
from butler.cli.render import CHOICE_LABELS
from butler.domain.complaints import COMPLAINT_WORKFLOW
from butler.domain.repairs import REPAIR_WORKFLOW
from infra.local import staff_settings
from tests.functional import test_staff_cli
from tests.support.reports import home_report

cli = test_staff_cli.cli  # butler-staff in this process, output captured (a shared fixture)
ROOT = Path(__file__).resolve().parents[2]
BUTLER_STAFF = Path(sys.executable).parent / "butler-staff"  # what `pip install -e .` puts in .venv/bin
JSON = {"Content-Type": "application/json"}
JPEG = ROOT / "tests" / "support" / "images" / "python.jpg"
SITE = "http://127.0.0.1:8000"
ENGLISH = re.compile(r"\b(?!make\b|dev\b|export\b)[A-Za-z]{3,}\b")  # words (the URL and the tool's name taken out)


def english(message, *allowed):
    for text in (*allowed, "butler-staff"):
        message = message.replace(text, "")
    return ENGLISH.findall(message)


def pasted(block):
    """The variables a shell has after the block is pasted into it."""
    values = {}
    for line in block.splitlines():
        if line.startswith("export "):
            name, _, value = shlex.split(line.removeprefix("export "))[0].partition("=")
            values[name] = value
    return values


@pytest.fixture
def settings_block(provisioned, moto_endpoint):
    """The staff-tool part of what `make dev` prints, for this test's stack."""
    return staff_settings(SimpleNamespace(url=SITE))


def run_staff(env, *argv, cwd):
    """butler-staff in a new process whose environment is only what the block set (no AWS
    credentials, no configuration files)."""
    base = {"PATH": os.environ["PATH"], "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run([str(BUTLER_STAFF), *map(str, argv)], env={**base, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_make_devs_settings_block_makes_every_command_work_without_options(api, settings_block, provisioned,
                                                                            tmp_path):
    env = pasted(settings_block)
    assert set(env) == set(VARIABLES)
    assert env["PHOTOS_BUCKET"] == provisioned.messaging.buckets["PhotosBucket"] and env["SITE_URL"] == SITE
    response = api.call("POST", "/api/repairs", json_body=home_report(), headers=JSON)
    reference = response.json["reference"]
    complaint = api.call("POST", "/api/complaints", headers=JSON, json_body={
        "kind": "inquiry", "topic": "cleaning", "description": "垃圾清运时间是每天几点？", "contact_name": "孙先生",
        "contact_phone": "13900001111"}).json["reference"]

    queue = run_staff(env, "--as", "gj-li", "queue", "reported", cwd=tmp_path)
    complaints = run_staff(env, "--as", "kf-zhang", "queue", "submitted", cwd=tmp_path)
    photo = run_staff(env, "--as", "wx-wang", "photo", reference, JPEG, "--kind", "before", cwd=tmp_path)
    show = run_staff(env, "--as", "gj-li", "show", reference, cwd=tmp_path)
    survey = run_staff(env, "survey-status", cwd=tmp_path)

    for run in (queue, complaints, photo, show):
        assert run.returncode == 0, run.stderr
    assert reference in queue.stdout and complaint in complaints.stdout
    assert "未设置照片存储桶" not in show.stdout
    assert re.search(rf"{re.escape(SITE)}/photo-uploads/{reference}/before-\S+", show.stdout)  # a complete link
    assert survey.returncode == 1 and "还没有开启满意度调查" in survey.stderr  # the surveys table was reached


def test_options_still_override_the_pasted_settings(api, settings_block, stack, tmp_path):
    env = {**pasted(settings_block), "REPAIRS_TABLE": "no-such-table"}
    reference = api.call("POST", "/api/repairs", json_body=home_report(), headers=JSON).json["reference"]

    wrong = run_staff(env, "queue", "reported", cwd=tmp_path)
    given = run_staff(env, "--table", stack["RepairsTable"], "queue", "reported", cwd=tmp_path)

    assert wrong.returncode == 3 and "no-such-table" in wrong.stderr and "找不到" in wrong.stderr
    assert not english(wrong.stderr, "no-such-table", env["AWS_ENDPOINT_URL"]), wrong.stderr
    assert given.returncode == 0 and reference in given.stdout


def test_an_unreachable_endpoint_is_said_in_chinese_with_exit_code_3(cli, stack, monkeypatch):
    nowhere = "http://127.0.0.1:9"  # nothing listens there
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.setenv(name, nowhere)

    result = cli("queue", "reported")
    flag = cli("--endpoint-url", nowhere, "--as", "kf-zhang", "queue", "submitted")

    for run in (result, flag):
        assert run.code == 3 and run.out == ""
        assert f"无法连接服务地址 {nowhere}" in run.err and "make dev" in run.err
        assert not english(run.err, nowhere), run.err
        assert "Traceback" not in run.err


def typed_options():
    """Every staff step option whose value has a form, with the command that takes it."""
    found = {}
    for workflow in (REPAIR_WORKFLOW, COMPLAINT_WORKFLOW):
        kind = next(k for k in KINDS.values() if k.workflow is workflow)
        for action in workflow.actions:
            if set(action.roles) <= {"resident", "system"}:
                continue  # a resident's step (the rating) has no command
            for field in action.fields:
                if field.kind in ("minutes", "hours", "rating", "reference") or field.kind.startswith("choice:"):
                    found[f"{action.code} --{field.name}"] = (action, field, kind.example)
    return found


OPTIONS = typed_options()


@pytest.mark.parametrize("action, field, example", OPTIONS.values(), ids=OPTIONS.keys())
def test_a_typed_step_option_with_a_wrong_value_is_a_usage_error(cli, action, field, example):
    option = "--" + field.name.replace("_", "-")

    result = cli("--as", "gj-li", action.code.replace("_", "-"), example, option, "abc")

    assert result.code == 2 and result.out == ""
    assert result.err.startswith("用法：") and f"参数 {option}：" in result.err and field.label in result.err


@pytest.mark.parametrize("argv", [
    ["report", "--category", "abc", "--unit", "3-2-1201", "--description", "厨房下水堵塞了", "--contact-name", "陈女士",
     "--contact-phone", "13912345678"],
    ["report", "--urgency", "soon", "--category", "plumbing"],
    ["file", "--kind", "praise", "--topic", "cleaning"],
    ["scorecard", "--quarter", "2026Q5"],
    ["survey-status", "--quarter", "abc"],
    ["history", "no-such-unit"],
], ids=["category", "urgency", "file-kind", "quarter", "survey-quarter", "unit"])
def test_other_typed_options_with_a_wrong_value_are_usage_errors(cli, stack, argv):
    result = cli("--as", "kf-zhang", *argv)

    assert result.code == 2 and result.err.startswith("用法：") and result.out == ""


def test_the_typed_options_include_the_guides_example():
    assert "complete --labour_minutes" in OPTIONS and "transfer --department" in OPTIONS
    assert "transfer --promised_hours" in OPTIONS and CHOICE_LABELS["environment"] == "环境卫生部"


def test_a_queue_without_kind_is_of_the_kind_that_has_the_status(api, cli):
    reference = api.call("POST", "/api/complaints", headers=JSON, json_body={
        "kind": "suggestion", "topic": "cleaning", "description": "建议垃圾桶旁边加一个洗手池。"}).json["reference"]

    submitted = cli("queue", "submitted")
    reported = cli("queue", "reported")
    exported = cli("queue", "submitted", "--csv")

    assert submitted.code == reported.code == exported.code == 0
    assert submitted.out.startswith("咨询投诉建议队列：") and reference in submitted.out
    assert reported.out.startswith("报修工单队列：")
    assert reference in exported.out


def test_the_staff_guide_names_every_setting_and_its_option():
    guide = (ROOT / "docs" / "staff-guide.zh.md").read_text(encoding="utf-8")

    for name in VARIABLES:
        assert f"`{name}`" in guide, name
    for option in ("--table", "--complaints-table", "--surveys-table", "--photos-bucket", "--site-url",
                   "--endpoint-url", "--region"):
        assert f"`{option}`" in guide, option
    assert "make dev" in guide and "export " in guide and "--labour-minutes abc" in guide
