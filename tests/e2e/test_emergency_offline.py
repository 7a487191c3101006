"""The emergency pages open with the network off after one visit (the service worker's
precache), a page never visited does not, the API is never cached; and a poster's QR
address fills in the repair form."""
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.site.test_emergency_plans import PLANS

pytestmark = pytest.mark.e2e

EMERGENCY_PAGES = ["/emergency/"] + [f"/emergency/{slug}/" for slug in PLANS]
NOT_VISITED = "/service/standards/"


def wait_for_service_worker(page) -> str:
    return page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        const worker = registration.active;
        if (worker.state !== 'activated') {  // ready resolves while it may still be activating
            await new Promise((done) => worker.addEventListener('statechange', () => {
                if (worker.state === 'activated') done();
            }));
        }
        return worker.state + ' ' + registration.scope;
    }""")


def cached_urls(page) -> list[str]:
    return page.evaluate("""async () => {
        const found = [];
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) found.push(request.url);
        }
        return found;
    }""")


def test_emergency_pages_open_offline_after_one_visit(phone, local_stack):
    phone.goto("/")
    state = wait_for_service_worker(phone)
    assert state == f"activated {local_stack.url}/"
    # An API call while online: the worker must leave it alone.
    assert phone.evaluate("async () => (await fetch('/api/openapi.json')).status") == 200

    phone.context.set_offline(True)
    for url in EMERGENCY_PAGES:
        phone.goto(url)
        expect(phone.locator("article h1")).to_be_visible()
        assert phone.locator("article a[href^='tel:']").count() >= 2, url
        # The stylesheets came along: the call buttons are laid out, not bare links.
        assert phone.locator("article a.call-button").first.evaluate(
            "a => getComputedStyle(a).display") == "flex", url

    with pytest.raises(PlaywrightError):
        phone.goto(NOT_VISITED)

    phone.context.set_offline(False)
    phone.goto("/emergency/")  # back from the browser's error page to the site
    cached = cached_urls(phone)
    assert f"{local_stack.url}/emergency/fire/" in cached
    assert not [u for u in cached if "/api/" in u]


def test_a_poster_address_fills_in_the_public_place(phone):
    phone.goto("/repairs/#location=%E4%B8%89%E5%8F%B7%E6%A5%BC2%E5%8D%95%E5%85%83%E7%94%B5%E6%A2%AF")

    expect(phone.locator("#field-location")).to_have_value("三号楼2单元电梯")
    expect(phone.locator("#field-location_type-public")).to_be_checked()
    expect(phone.locator("#unit-field")).to_be_hidden()
    assert "#" not in phone.url, "the fragment stays in the address bar"


def test_a_poster_address_from_the_posters_page_works(phone, local_stack):
    phone.goto("/posters/building-3/")
    url = phone.locator("#poster-3-elevator-2").get_attribute("data-url")
    fragment = url.split("#", 1)[1]

    phone.goto("/repairs/#" + fragment)

    expect(phone.locator("#field-location")).to_have_value("3号楼2单元电梯")
    expect(phone.locator("#field-location_type-public")).to_be_checked()
    assert phone.url == f"{local_stack.url}/repairs/"


def test_type_public_alone_selects_the_public_area(phone):
    phone.goto("/repairs/#type=public")

    expect(phone.locator("#field-location_type-public")).to_be_checked()
    expect(phone.locator("#field-location")).to_have_value("")
