"""Every public page (tests/public_pages.py) in headless Chromium at 390 and 1280 CSS px, in
Chinese and in English: axe-core finds no serious or critical violation, nothing scrolls
sideways, every image has loaded and has an alt attribute, and the console stays free of errors.

One test per width and language walks all the pages in one browser tab and lists every problem
it met (page, check, rule, elements) before failing, so one run shows the whole state of the
site; a page with a problem is kept as a screenshot in test-artifacts/screenshots/.
"""

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from tests import public_pages
from tests.public_pages import LANGUAGES, pages

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_problems(page):
    """Serious and critical axe-core violations: rule, impact, help and the first elements."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"axe {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(f"{n['target']} {n['html'][:160]}" for n in v["nodes"][:4])
        + (f" … and {len(v['nodes']) - 4} more" if len(v["nodes"]) > 4 else "")
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def overflow_problems(page):
    """Sideways scrolling, with the outermost elements that stick out on the right."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow <= 0:
        return []
    culprits = page.evaluate(
        """() => {
            const right = window.innerWidth + 0.5;
            const sticksOut = e => e.getBoundingClientRect().right > right;
            const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + [...e.classList].map(c => '.' + c).join('');
            return [...document.body.querySelectorAll('*')]
                .filter(e => sticksOut(e) && !(e.parentElement && sticksOut(e.parentElement)))
                .slice(0, 5)
                .map(e => name(e) + ' ends at ' + Math.round(e.getBoundingClientRect().right)
                    + 'px');
        }"""
    )
    return [f"scrolls sideways by {overflow}px: " + ", ".join(culprits)]


def image_problems(page):
    """Images without an alt attribute or that did not load (lazy ones are loaded first)."""
    return page.evaluate(
        """async () => {
            const images = [...document.images];
            images.forEach(i => { i.loading = 'eager'; });
            await Promise.all(images.map(i => i.complete ? null : new Promise(done => {
                i.addEventListener('load', done, {once: true});
                i.addEventListener('error', done, {once: true});
                setTimeout(done, 10000);
            })));
            return images.flatMap(i => [
                ...(i.hasAttribute('alt') ? [] : ['image without alt: ' + i.src]),
                ...(i.naturalWidth > 0 ? [] : ['image not loaded: ' + (i.currentSrc || i.src)]),
            ]);
        }"""
    )


class Console:
    """Console errors and uncaught exceptions of a tab, taken page by page."""

    def __init__(self, page):
        self.messages = []
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.messages.append(f"uncaught {error}"))

    def console(self, message):
        if message.type == "error":
            self.messages.append((message.text, message.location.get("url", "")))

    def take(self, url, status):
        """Everything logged since the last call; a 404 page's own status is expected."""
        taken, self.messages = self.messages, []
        return [
            f"console error: {m[0] if isinstance(m, tuple) else m}"
            for m in taken
            if not (isinstance(m, tuple) and status == 404 and m[1] == url)
        ]


def check(page, console, site, entry):
    """Every problem of one page, each a line naming the page."""
    url = site + entry.url
    response = page.goto(url, wait_until="load")
    problems = []
    if response.status != entry.status:
        problems.append(f"answers {response.status}, not {entry.status}")
    problems += image_problems(page)
    problems += overflow_problems(page)
    problems += axe_problems(page)
    problems += console.take(url, entry.status)
    if problems:
        width = page.viewport_size["width"]
        screenshot(page, f"public-{entry.language}-{entry.name}")
        return [f"{width}px {entry.label}: {problem}" for problem in problems]
    return []


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_every_public_page_is_accessible_fits_and_loads(request, site, device, language):
    page = request.getfixturevalue(device)
    console = Console(page)
    public_pages.open_notice()
    entries = [entry for entry in pages() if entry.language == language]
    problems = []
    for entry in entries:
        problems += check(page, console, site, entry)
    public_pages.grow_to_a_second_page()
    second = [e for e in pages(public_pages.SECOND_PAGES) if e.language == language]
    for entry in second:
        problems += check(page, console, site, entry)
    assert len(entries) + len(second) == len(public_pages.PAGES) + len(public_pages.SECOND_PAGES)
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)


def test_the_checks_see_problems(site, phone):
    """Each check can fail: a page made wide, with an unnamed button, a broken image without
    alt and a script error is reported by all four."""
    console = Console(phone)
    phone.goto(site + "/stats/")
    phone.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend',
                '<div style="width: 2000px">wide</div><button></button>'
                + '<img src="/static/no-such-image.png">');
            setTimeout(() => { throw new Error('broken script'); }, 0);
        }"""
    )
    phone.wait_for_timeout(200)
    images = image_problems(phone)
    assert any(p.startswith("image without alt") for p in images), images
    assert any(p.startswith("image not loaded") for p in images), images
    assert overflow_problems(phone)[0].startswith("scrolls sideways by ")
    assert any(p.startswith("axe button-name (critical)") for p in axe_problems(phone))
    logged = console.take(site + "/stats/", 200)
    assert any("broken script" in p for p in logged), logged
