"""RQ entry points of the templates app. They take ids, re-fetch, tolerate deleted rows and are safe to run twice."""

from __future__ import annotations

from typing import Any

from templates.crawl_services import crawl_run


def crawl_run_task(crawl_id: int) -> dict[str, Any]:
    """Run crawl `crawl_id` on the `crawl` queue (see templates.crawl_services.crawl_run)."""
    crawl = crawl_run(crawl_id=crawl_id)
    return {
        "crawl_id": crawl_id,
        "status": crawl.status if crawl else None,
        "images_collected": crawl.images_collected if crawl else None,
    }


def own_faces_task(template_id: int) -> dict[str, Any]:
    """Find the faces in a person's own template on the `swaps` queue (see templates.own_services)."""
    from templates.own_services import own_faces_run

    template = own_faces_run(template_id=template_id)
    return {"template_id": template_id, "faces_status": template.faces_status if template else None}
