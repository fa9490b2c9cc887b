from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from faceengine import Face

from .provenance.watermark import new_public_id

# A pending swap may run: it waits for no one's agreement (see PartnerConsent), or it was given.
RUNNABLE = models.Q(consent__isnull=True) | models.Q(consent__status="agreed")


class FaceSwapTask(models.Model):
    """One couple swap (table `faceswap_tasks`): a template, a husband photo, a wife photo, a result."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Done")
        FAILED = "failed", _("Failed")

    # CASCADE: deleting an account removes its tasks.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        db_column="user_id",
        db_index=False,  # idx_tasks_user below is the index
        related_name="swap_tasks",
    )
    # RESTRICT: a template that people have used is archived, not deleted, so their history stays whole;
    # but a person's own template goes with their account, together with their swaps (same cascade).
    template = models.ForeignKey(
        "couple_templates.Template",
        on_delete=models.RESTRICT,
        null=True,
        db_column="template_id",
        related_name="swap_tasks",
    )
    # SET_NULL: a person may delete a photo (or it expires) without losing the swaps made from it.
    husband_image = models.ForeignKey(
        "gallery.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="husband_image_id",
        related_name="+",
    )
    wife_image = models.ForeignKey(
        "gallery.Image", on_delete=models.SET_NULL, null=True, blank=True, db_column="wife_image_id", related_name="+"
    )
    result_image = models.ForeignKey(
        "gallery.Image", on_delete=models.SET_NULL, null=True, blank=True, db_column="result_image_id", related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING, null=True
    )
    progress = models.IntegerField(default=0, db_default=0, null=True)
    error_message = models.TextField(null=True, blank=True)
    processing_time = models.FloatField(null=True, blank=True, help_text="Seconds")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), null=True, editable=False)
    # An addition to the seed schema: per role, the face taken from its photo, copied when the swap was
    # asked for ({"husband": {"image": id, "index": i, "face": <face JSON>}, ...}), so a photo of the
    # couple can serve both partners and the worker swaps exactly the face each one picked.
    source_faces = models.JSONField(default=dict, blank=True, null=True)
    # Also an addition: set when the owner deletes the swap. It waits in their trash (restorable) for
    # TRASH_DAYS, then `empty_swap_trash` deletes it and its result for good.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Also an addition: the album this swap was asked for in ("Try on several templates"), if any.
    album = models.ForeignKey(
        "Album", on_delete=models.SET_NULL, null=True, blank=True, db_column="album_id", related_name="tasks"
    )
    # Also an addition: a random 64-bit id (16 hex digits) hidden in the result's invisible mark, so a
    # picture found elsewhere leads back to its task without giving away the database id.
    public_id = models.CharField(max_length=16, unique=True, null=True, blank=True, default=new_public_id)
    # Also an addition: the partner's agreement this swap waits for (None: asked for before agreements
    # existed, or PARTNER_CONSENT_REQUIRED is off). It runs only once that agreement is given.
    consent = models.ForeignKey(
        "PartnerConsent", on_delete=models.SET_NULL, null=True, blank=True, db_column="consent_id", related_name="tasks"
    )

    class Meta:
        db_table = "faceswap_tasks"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The hourly cap counts a person's swaps since an hour ago; My swaps lists them newest first.
            models.Index(fields=["user", "created_at"], name="idx_tasks_user_created"),
            # The typical duration (a refused submit's "try again in") reads the latest finished swaps.
            models.Index(
                models.F("completed_at").desc(), condition=models.Q(status="completed"), name="idx_tasks_recent_done"
            ),
            models.Index(fields=["status"], name="idx_tasks_status"),
            models.Index(fields=["user"], name="idx_tasks_user"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=100), name="faceswap_tasks_progress_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Swap #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("swaps:detail", args=[self.pk])

    def source_face(self, role: str) -> Face | None:
        """The engine Face picked for a role when the swap was asked for (None: find it in the photo)."""
        entry = (self.source_faces or {}).get(role)
        return Face.from_json(entry["face"]) if entry else None

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)

    @property
    def partner_did_not_answer(self) -> bool:
        """Ended because the partner's invitation expired unanswered (consents_expire): invite again."""
        return (
            self.status == self.Status.FAILED
            and self.consent_id is not None
            and self.consent.status == PartnerConsent.Status.EXPIRED
        )

    @property
    def waiting_for_partner(self) -> bool:
        """Pending until the partner agrees to their face being used (nothing runs before)."""
        return (
            self.status == self.Status.PENDING
            and self.consent_id is not None
            and self.consent.status != PartnerConsent.Status.AGREED
        )

    @property
    def phase_index(self) -> int:
        """Which of PHASES the swap is in (the page shows those before it as done)."""
        if self.status == self.Status.COMPLETED:
            return len(PHASES) - 1
        if self.status != self.Status.PROCESSING:
            return 0
        progress = self.progress or 0
        return max(i for i, phase in enumerate(PHASES) if progress >= phase.progress)

    def phases(self) -> list[dict]:
        """The steps a person sees, in order, each "done", "current" or "todo" (a failed swap stops)."""
        current = self.phase_index
        failed = self.status == self.Status.FAILED
        return [
            {
                "name": phase.name,
                "label": str(phase.label),
                "state": "todo"
                if failed
                else "done"
                if i < current or self.status == self.Status.COMPLETED
                else "current"
                if i == current
                else "todo",
            }
            for i, phase in enumerate(PHASES)
        ]

    @property
    def error_message_shown(self) -> str | None:
        """The failure as its owner reads it, in their language: the worker stores it in English (it has no
        visitor's language), and its fixed sentences are in the catalogue (swaps.services.base)."""
        from gallery.engine_words import engine_words

        return engine_words(gettext(self.error_message)) if self.error_message else self.error_message

    @property
    def step_label(self) -> str:
        """What the worker is doing now, for the progress bar (progress is set at the start of a step)."""
        if self.waiting_for_partner:
            return gettext("Waiting for your partner to agree")
        if self.status == self.Status.PENDING:
            return str(_("Waiting for a free worker…"))
        if self.status == self.Status.FAILED:
            return str(_("Stopped"))
        if self.status == self.Status.COMPLETED:
            return str(_("Done"))
        progress = self.progress or 0
        label = STEPS[0].label
        for step in STEPS:
            if progress >= step.progress:
                label = step.label
        return str(label)


class Step(NamedTuple):
    name: str  # what swaps.services reports (the engine's progress callback names included)
    progress: int  # percent, set at the start of the step
    label: str  # what the person is told


# The steps of a run, in order: the one list the worker's progress and the page's labels come from.
STEPS = (
    Step("claimed", 5, _("Starting…")),
    Step("loading", 10, _("Loading your photos…")),
    Step("detect", 25, _("Finding the faces…")),
    Step("husband", 45, _("Swapping in your face…")),
    Step("wife", 70, _("Swapping in your partner's face…")),
    Step("saving", 90, _("Saving the result…")),
    Step("done", 100, _("Done")),
)

# What the task page lists, in order: fewer and plainer than the worker's steps; each starts when the
# worker's progress reaches it. "queued" is the pending state (progress 0).
PHASES = (
    Step("queued", 0, _("In the queue")),
    Step("detect", 5, _("Finding the faces")),
    Step("husband", 45, _("Swapping in your face")),
    Step("wife", 70, _("Swapping in your partner's face")),
    Step("saving", 90, _("Finishing")),
    Step("done", 100, _("Done")),
)


class ShareLink(models.Model):
    """A link its owner made to show one swap's result to anyone holding it (table `swap_share_links`,
    an addition to the seed schema). Only the result picture is shown, until it expires or is revoked."""

    task = models.ForeignKey(FaceSwapTask, on_delete=models.CASCADE, related_name="share_links")
    # secrets.token_urlsafe(24): 192 random bits.
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    # The owner's choice: the shared picture shows a small visible "AI" badge in its corner (re-marked
    # and re-signed, so it carries the same provenance).
    badge = models.BooleanField(default=False)

    class Meta:
        db_table = "swap_share_links"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Share link for swap #{self.task_id}"

    def get_absolute_url(self) -> str:
        return reverse("share:view", args=[self.token])

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Album(models.Model):
    """Several templates tried with the same two photos at once (table `swap_albums`, an addition to the
    seed schema). Each item is an ordinary FaceSwapTask pointing here."""

    # Up to this many templates in one album.
    MAX_TEMPLATES = 12

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="swap_albums")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "swap_albums"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Album #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("swaps:album", args=[self.pk])

    @property
    def name(self) -> str:
        """What the album is called on pages: its scenes' titles ("Red carpet, Beach and 3 more"); albums
        have no name of their own. Reads the album's swaps (prefetch them for lists)."""
        tasks = sorted(self.tasks.all(), key=lambda task: (task.created_at, task.pk))  # the order they were picked
        titles = [task.template.title for task in tasks if task.template_id and task.deleted_at is None]
        if not titles:
            return gettext("Album of %(date)s") % {"date": date_format(self.created_at, "DATE_FORMAT")}
        if len(titles) <= 2:
            return gettext(" and ").join(titles)
        return gettext("%(first)s, %(second)s and %(more)d more") % {
            "first": titles[0],
            "second": titles[1],
            "more": len(titles) - 2,
        }


class ShareReport(models.Model):
    """ "Report this picture" on a shared page (table `share_reports`, an addition to the seed schema): a
    visitor's reason and words, waiting in the admin's queue until a curator dismisses it or takes the
    picture down. The reporter's address is kept only as a salted hash, for the rate limit's audit."""

    class Reason(models.TextChoices):
        NUDITY = "nudity", _("Nudity or sexual content")
        CONSENT = "consent", _("Someone's face is used without their agreement")
        MINOR = "minor", _("It shows a child or a minor")
        RIGHTS = "rights", _("It uses a picture I own, or breaks copyright")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        DISMISSED = "dismissed", _("Dismissed")
        TAKEN_DOWN = "taken_down", _("Taken down")

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    text = models.TextField(blank=True, default="")
    reporter_hash = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "share_reports"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="share_reports_status")]

    def __str__(self) -> str:
        return f"Report #{self.pk} ({self.get_reason_display()})"


class PartnerConsent(models.Model):
    """A partner's agreement to their face being used by one account holder (table `partner_consents`, an
    addition to the seed schema).

    The holder invites the partner by a link carrying `token` (192 random bits, single use, valid until
    `expires_at`); the partner opens it without an account, sees only their face crop and the holder's
    display name, and agrees or declines. An agreement is tied to the face's `descriptor`, so the same face
    in another photo is not asked about again; it holds until the partner withdraws it through the link
    carrying `withdraw_token` (given to them when they agree). Declined or withdrawn: the photo and every
    swap made with it are deleted; what was deleted is kept here (`removed`) to tell the holder.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for your partner")
        AGREED = "agreed", _("Agreed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # The invitation expired unanswered: its swaps ended, the unagreed photo deleted (consents_expire).
        EXPIRED = "expired", _("Not answered in time")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_consents")
    # The partner's photo and which of its usable faces (largest first) is theirs; the photo is deleted
    # when the partner declines or withdraws.
    photo = models.ForeignKey("gallery.Image", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    face_index = models.PositiveSmallIntegerField(default=0)
    face_box = models.JSONField(default=list, blank=True)
    # dlib's 128-d descriptor of the face (faceengine.identity): no picture, no name.
    descriptor = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    # secrets.token_urlsafe(24): 192 random bits; cleared once used, so a used link answers 404.
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField()
    withdraw_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    # After a decline, withdrawal or expiry: {"tasks": [ids], "pictures": n, "by": who}, for the holder's
    # pages; "by" is "partner", "holder", "account" (the partner deleted their login) or "expired".
    removed = models.JSONField(default=dict, blank=True)
    # The partner's own login, if they made one after agreeing: they see the couple's swaps made under
    # this agreement in their My swaps, and can withdraw it there.
    partner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_agreements",
    )

    class Meta:
        db_table = "partner_consents"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "status"], name="partner_consents_user_status"),
            # The maintenance pass looks for waiting invitations past their expiry every few seconds.
            models.Index(fields=["expires_at"], condition=models.Q(status="waiting"), name="partner_consents_waiting"),
        ]

    def __str__(self) -> str:
        return f"Partner consent #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        """The partner's page (the invitation); only while the invitation is open."""
        return reverse("consent:invite", args=[self.token]) if self.token else ""

    @property
    def is_open(self) -> bool:
        """The invitation link works: waiting, unused and not expired."""
        return self.status == self.Status.WAITING and bool(self.token) and self.expires_at > timezone.now()


class HolderFace(models.Model):
    """ "This is me": the face an account holder confirmed as their own (table `holder_faces`, an addition
    to the seed schema), asked once, on their first swap. Only dlib's descriptor is kept (no picture). A
    swap's "you" face must be this person; anyone else's face needs their own agreement."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="holder_face")
    descriptor = models.JSONField(default=list)
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "holder_faces"

    def __str__(self) -> str:
        return f"Confirmed face of user #{self.user_id}"
