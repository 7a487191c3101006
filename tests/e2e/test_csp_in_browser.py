"""The local front sends template.yaml's Content-Security-Policy and the browser enforces
it: an inline script does not run on any page type, and the pages themselves need none
(the phone fixture fails every browser test on a CSP report in the console)."""
import pytest

from tests.site.conftest import PAGES

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser, local_stack):
    """A page of its own: the phone fixture would fail on the violation this test provokes."""
    context = browser.new_context(base_url=local_stack.url, locale="zh-CN")
    page = context.new_page()
    reports: list[str] = []
    page.on("console", lambda m: reports.append(m.text) if "Content Security Policy" in m.text else None)
    page.reports = reports
    yield page
    context.close()


@pytest.mark.parametrize("key", ["home", "repairs", "track", "complaints", "survey", "emergency_plan", "notice"])
def test_an_inline_script_is_refused_and_the_page_needs_none(page, key):
    response = page.goto("/" + PAGES[key].removesuffix("index.html"))
    script_src = next(d for d in response.headers["content-security-policy"].split(";") if "script-src" in d)
    assert "'unsafe-inline'" not in script_src
    page.wait_for_load_state("networkidle")
    assert page.reports == [], "the page itself runs no inline script"
    assert page.evaluate("() => typeof window.__md_get") == "function", "the theme's helpers come from a file"

    ran = page.evaluate("""() => {
        document.addEventListener('securitypolicyviolation', () => { window.__violation = true; });
        const script = document.createElement('script');
        script.textContent = 'window.__inline = true';
        document.body.appendChild(script);  // an allowed inline script would have run by now
        return window.__inline === true;
    }""")

    assert ran is False
    page.wait_for_function("() => window.__violation === true")  # refused by the CSP, not by chance
