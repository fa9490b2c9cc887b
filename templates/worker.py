"""The RQ worker class for the `crawl` queue: `python manage.py rqworker crawl --worker-class
templates.worker.CrawlWorker` (the Procfile's `crawl` process).

Before its first job it fails the crawls a previous worker left in "processing" (killed, out of memory,
machine restarted), so they can be run again; and a work horse that dies fails its crawl at once.
"""

from __future__ import annotations

import logging

from rq.job import Job

from jobs import JobKind, JobWorker
from templates.crawl_services import CRAWL_JOBS, crawl_fail, crawls_fail_stuck

logger = logging.getLogger(__name__)


class CrawlWorker(JobWorker):
    kinds = (CRAWL_JOBS,)

    def startup(self) -> None:
        counts = crawls_fail_stuck()
        if counts["failed"] or counts["requeued"]:
            logger.info("Crawls left behind: %(failed)d failed, %(requeued)d queued again", counts)

    def job_abandoned(self, kind: JobKind, row_id: int, job: Job) -> None:
        crawl_fail(crawl_id=row_id, message=kind.abandoned_error)
