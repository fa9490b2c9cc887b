"""The RQ worker class for the `crawl` queue: `python manage.py rqworker crawl --worker-class
templates.worker.CrawlWorker` (the Procfile's `crawl` process).

Before its first job it fails the crawls a previous worker left in "processing" (killed, out of memory,
machine restarted), so they can be run again; and a work horse that dies fails its crawl at once.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connections
from rq.worker import Worker

from templates.crawl_services import ABANDONED_ERROR, crawl_fail, crawls_fail_stuck

logger = logging.getLogger(__name__)

CRAWL_JOB = "templates.tasks.crawl_run_task"


class CrawlWorker(Worker):
    def work(self, *args: Any, **kwargs: Any) -> bool:
        try:
            counts = crawls_fail_stuck()
            if counts["failed"] or counts["requeued"]:
                logger.info("Crawls left behind: %(failed)d failed, %(requeued)d queued again", counts)
        finally:
            # Nothing the parent opened may be shared with a forked horse.
            connections.close_all()
        return super().work(*args, **kwargs)

    def handle_work_horse_killed(self, job: Any, retpid: int, ret_val: int, rusage: Any) -> None:
        """A horse died (killed, out of memory, past the timeout): fail its crawl now, plainly."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        if job.func_name == CRAWL_JOB and job.args:
            try:
                crawl_fail(crawl_id=int(job.args[0]), message=ABANDONED_ERROR)
            finally:
                connections.close_all()
