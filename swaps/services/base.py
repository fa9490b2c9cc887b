"""What every subject of the swap services shares: the refusal a person sees, the swap job kind, the engine."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_noop

from faceengine import get_engine
from jobs import JobKind

# One job per swap on the `swaps` queue; the job carries its owner's id (meta) for fair queueing.
SWAP_JOBS = JobKind(
    name="swap",
    queue="swaps",
    task="swaps.tasks.swap_run_task",
    timeout_setting="SWAP_JOB_TIMEOUT",
    result_ttl=3600,
    what="swap",
    doing="making",
    advice="Please try again, or use smaller photos.",
)


# The worker stores a failed swap's message in English; pages show it in the owner's language
# (FaceSwapTask.error_message_shown), so SWAP_JOBS's sentences, as filled in, are in the catalogue too.
STORED_MESSAGES = (
    gettext_noop("Something went wrong on our side while making this swap. Please try again in a minute."),
    gettext_noop("This swap took too long and was stopped. Please try again, or use smaller photos."),
    gettext_noop("The worker making this swap stopped before it finished. Please try again, or use smaller photos."),
)


class SwapError(Exception):
    """A request that cannot become a swap; `message` is shown to the person as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def engine_get():
    """This process's face engine (models load on first use, then stay loaded)."""

    return get_engine(
        settings.FACESWAP_ENGINE,
        model_dir=settings.FACESWAP_INSIGHTFACE_DIR,
        providers=settings.FACESWAP_ONNX_PROVIDERS,
    )


def swap_enqueue(*, task_id: int, user_id: int | None = None) -> bool:
    """Put a task's id on the swaps queue; False (and a log line) when Redis cannot be reached.

    user_id goes with the job (meta) so the owner's next swap can be queued when it ends.
    """
    return SWAP_JOBS.enqueue(task_id, meta={"user_id": user_id})
