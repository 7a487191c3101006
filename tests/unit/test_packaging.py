"""The functions' runtime requirements (for sam build) match pyproject's dependencies."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_function_requirements_match_the_project_dependencies():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lines = (ROOT / "functions" / "requirements.txt").read_text().splitlines()
    pinned = {line.strip() for line in lines if line.strip() and not line.startswith("#")}

    assert pinned == set(pyproject["project"]["dependencies"])
    assert all("==" in requirement for requirement in pinned)
    assert any(requirement.startswith("pydantic==") for requirement in pinned)


def test_the_domain_imports_no_aws_or_web_library():
    for path in (ROOT / "functions" / "butler" / "domain").glob("*.py"):
        text = path.read_text()
        for forbidden in ("boto3", "botocore", "pynamodb", "aws_lambda_powertools", "butler.web",
                          "butler.repository"):
            assert f"import {forbidden}" not in text and f"from {forbidden}" not in text, (path, forbidden)


def test_nothing_under_functions_imports_the_local_stack_or_tests():
    for path in (ROOT / "functions").rglob("*.py"):
        text = path.read_text()
        assert "from infra" not in text and "import infra" not in text, path
        assert "from tests" not in text, path
