"""The task page in a real browser with a real worker: the steps in order, then the whole result with
"Compare" (hold for the original) and the slider only on request."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from swaps.models import PHASES, FaceSwapTask
from swaps.services import stored_face, swap_enqueue
from testing.cast import log_in
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Called by the page for every step that becomes the current one (or done), so the order is recorded
# across the reload that shows the result.
WATCH_STEPS = """
new MutationObserver(() => {
  document.querySelectorAll('#task-steps .task-step:not(.is-todo)').forEach((step) => {
    if (!step.dataset.seen) { step.dataset.seen = '1'; window.stepSeen(step.dataset.phase); }
  });
}).observe(document, { subtree: true, attributes: true, attributeFilter: ['class'], childList: true });
"""


@pytest.mark.parametrize(
    ("viewport", "event_source"),
    [(DESKTOP, True), (PHONE, True), (DESKTOP, False)],
    ids=["desktop", "phone", "desktop-without-eventsource"],
)
def test_progress_steps_in_order_then_the_whole_result_with_compare(
    rq_worker, site_server, browser, alice, alice_photos, couple_template, artifacts_dir, viewport, event_source
):
    """With EventSource the page follows the events URL (here without the push process: answered once with
    "retry: 2000", so asked every 2 s); without it, the status JSON every 2 s. Either way the result
    replaces the progress in place: the page is not reloaded."""
    size = "phone" if viewport is PHONE else "desktop"
    # A swap in the queue that the worker only hears of once the page is open (the page polls it).
    task = FaceSwapTask.objects.create(
        user=alice,
        template=couple_template,
        husband_image=alice_photos[0],
        wife_image=alice_photos[1],
        source_faces={},
    )
    assert stored_face(alice_photos[0]) is None  # never checked: the worker finds the faces itself
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    seen: list[int] = []
    page.expose_function("stepSeen", lambda phase: seen.append(int(phase)))
    page.add_init_script(WATCH_STEPS)
    if not event_source:
        page.add_init_script("delete window.EventSource;")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    log_in(page, "alice", base_url=site_server.url)
    page.goto(f"{site_server.url}{task.get_absolute_url()}")
    page.evaluate("window.notReloaded = true")
    expect(page.locator("#task-steps .task-step")).to_have_count(len(PHASES))
    expect(page.locator("#task-steps .is-current")).to_contain_text("In the queue")
    page.screenshot(path=artifacts_dir / f"progress-queued-{size}.png", full_page=True)
    assert swap_enqueue(task_id=task.pk)

    result = page.locator("#result-image")
    expect(result).to_be_visible(timeout=60_000)
    # Every step was shown, each once, in order (the last one, "Done", just before the result).
    assert seen == list(range(len(PHASES))), seen
    assert page.evaluate("window.notReloaded === true")
    follow = f"/swaps/{task.pk}/events/" if event_source else f"/swaps/{task.pk}/status/"
    assert any(url.endswith(follow) for url in asked), asked
    assert not any(url.endswith(f"/swaps/{task.pk}/status/" if event_source else "/events/") for url in asked)

    # The whole swap by default: no original over it, no slider.
    original = page.locator("#original-image")
    expect(original).to_be_hidden()
    expect(page.locator(".compare-range")).to_be_hidden()
    expect(page.locator("#ai-notice")).to_contain_text("AI-edited")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=result.element_handle())
    page.screenshot(path=artifacts_dir / f"result-whole-{size}.png", full_page=True)
    # Press and hold: the original; release: the swap again.
    hold = page.locator("#compare-hold")
    hold.hover()
    page.mouse.down()
    expect(original).to_be_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts_dir / f"result-compare-held-{size}.png", full_page=True)
    page.mouse.up()
    expect(original).to_be_hidden()
    # A tap switches it on until the next tap.
    hold.click()
    expect(original).to_be_visible()
    expect(hold).to_have_attribute("aria-pressed", "true")
    hold.click()
    expect(original).to_be_hidden()
    # The slider, on request.
    page.locator("#compare-slider").click()
    expect(page.locator(".compare-range")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"result-slider-{size}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    try:
        assert FaceSwapTask.objects.get(pk=task.pk).status == "completed"
    finally:
        connection.close()
