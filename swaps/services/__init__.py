"""Writes for face swaps, one module per subject; every public name is re-exported here, so callers
import `swaps.services` whatever module a name lives in.

- `submit`: asking for a swap (`swap_submit`, the one entry; `swap_create`, its last step);
- `photos`: a partner's photo and its face check, kept with the photo;
- `run`: the worker's run (claimed exactly once), failing and retrying;
- `trash`: trash, restore, delete for good;
- `repair`: stuck swaps repaired, whether the queue answers;
- `consent`: the partner's agreement to their face being used (invitation, agree, decline, withdraw);
- `sharing`: share links; `reports`: reports on shared pictures and takedowns; `albums`: several templates
  at once;
- `fair_use`: per-person caps and fair queueing;
- `base`: what they share (the refusal, the job kind, the engine).
"""

from .albums import album_submit, album_zip
from .base import SWAP_JOBS, SwapError, engine_get, swap_enqueue
from .consent import (
    consent_agree,
    consent_decline,
    consent_end,
    consent_for_partner,
    consent_invite_send,
    consent_open,
    consent_partner_login,
    consent_renew,
    consent_withdraw,
    consent_withdrawable,
    consents_withdraw_for_account,
    descriptors_warm,
    holder_face_check,
    holder_face_forget,
    holder_name,
)
from .fair_use import (
    SLOT_KEY,
    SLOT_TTL,
    swap_dispatch,
    swap_fair_use_check,
    swap_job_finished,
    swaps_dispatch_pending,
)
from .photos import (
    CHECK_KEY,
    FACES_KEY,
    QUALITY_WORDS,
    ROLE_WORDS,
    PersonPhoto,
    PhotoCheck,
    photo_face_crop,
    photo_is_checked,
    stored_face,
    swap_photo_check,
    swap_photo_prepare,
    swap_photos_switch,
)
from .repair import PARTNER_NO_ANSWER, consents_expire, swap_queue_reachable, swaps_requeue_stuck
from .reports import report_create, report_dismiss, report_takedown
from .run import PROGRESS, swap_fail, swap_retry, swap_run
from .sharing import SHARE_DAYS, share_count_view, share_create, share_revoke
from .submit import SwapSubmitError, swap_create, swap_submit, template_faces_for_swap
from .trash import (
    TRASH_DAYS,
    swap_delete,
    swap_restore,
    swap_trash,
    swap_trash_empty,
    swaps_delete_for_template,
    swaps_empty_trash,
)

__all__ = [
    "CHECK_KEY",
    "FACES_KEY",
    "PARTNER_NO_ANSWER",
    "PROGRESS",
    "QUALITY_WORDS",
    "ROLE_WORDS",
    "SHARE_DAYS",
    "SLOT_KEY",
    "SLOT_TTL",
    "SWAP_JOBS",
    "TRASH_DAYS",
    "PersonPhoto",
    "PhotoCheck",
    "SwapError",
    "SwapSubmitError",
    "album_submit",
    "album_zip",
    "consent_agree",
    "consent_decline",
    "consent_end",
    "consent_for_partner",
    "consent_invite_send",
    "consent_open",
    "consent_partner_login",
    "consent_renew",
    "consent_withdraw",
    "consent_withdrawable",
    "consents_expire",
    "consents_withdraw_for_account",
    "descriptors_warm",
    "engine_get",
    "holder_face_check",
    "holder_face_forget",
    "holder_name",
    "photo_face_crop",
    "photo_is_checked",
    "report_create",
    "report_dismiss",
    "report_takedown",
    "share_count_view",
    "share_create",
    "share_revoke",
    "stored_face",
    "swap_create",
    "swap_delete",
    "swap_dispatch",
    "swap_enqueue",
    "swap_fail",
    "swap_fair_use_check",
    "swap_job_finished",
    "swap_photo_check",
    "swap_photo_prepare",
    "swap_photos_switch",
    "swap_queue_reachable",
    "swap_restore",
    "swap_retry",
    "swap_run",
    "swap_submit",
    "swap_trash",
    "swap_trash_empty",
    "swaps_delete_for_template",
    "swaps_dispatch_pending",
    "swaps_empty_trash",
    "swaps_requeue_stuck",
    "template_faces_for_swap",
]
