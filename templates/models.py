from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from faceengine import ROLES, face_json_problems
from gallery.models import Category

FACE_SOURCES = ("detected", "manual")
# Short names for chips and badges; Category's labels are the long, descriptive ones.
# The seed's two roles as the admin names them.
ROLE_NAMES = {"husband": _("husband"), "wife": _("wife")}
CATEGORY_SHORT = {"acg": _("Anime & games"), "movie": _("Movies"), "tv": _("TV"), "custom": _("Custom")}


def _face_problems(n: int, face: Any, width: int | None, height: int | None) -> tuple[dict | None, list[str]]:
    """One face_positions entry normalised, or the reasons it cannot be used (n is its 1-based number).

    The face's own shape is the engine's (`face_json_problems`); role and source are the template's."""
    entry, problems = face_json_problems(
        face, label=f"Face {n}", width=width, height=height, extra_keys=("role", "source")
    )
    if not isinstance(face, dict):
        return None, problems
    role = face.get("role") or None
    if role is not None and role not in ROLES:
        problems.append(f"Face {n}: role must be husband, wife or null, not {role!r}.")
    source = face.get("source") or "detected"
    if source not in FACE_SOURCES:
        problems.append(f"Face {n}: source must be detected or manual, not {source!r}.")
    if problems:
        return None, problems
    return entry | {"role": role, "source": source}, []


def validate_face_positions(value: Any, *, width: int | None = None, height: int | None = None) -> list[dict]:
    """The face_positions list checked and normalised; ValidationError listing every problem otherwise.

    width/height (the template picture's size), when given, also keep boxes and key points inside it.
    See Template's docstring for the format.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(
            f"Face positions must be a list of faces, not {type(value).__name__}.", code="face_positions"
        )
    faces, problems = [], []
    for n, face in enumerate(value, start=1):
        entry, face_problems = _face_problems(n, face, width, height)
        problems += face_problems
        if entry is not None:
            faces.append((n, entry))
    for role in ROLES:
        numbers = [str(n) for n, entry in faces if entry["role"] == role]
        if len(numbers) > 1:
            problems.append(
                f"Faces {' and '.join(numbers)} are all marked {role}; a template has one husband and one wife."
            )
    if problems:
        raise ValidationError(problems, code="face_positions")
    return [entry for _, entry in faces]


class Review(models.TextChoices):
    """Where a crawled template stands in the admin's review queue."""

    WAITING = "waiting", _("Waiting for review")
    REJECTED = "rejected", _("Rejected")
    APPROVED = "approved", _("Approved")


class OwnFaces(models.TextChoices):
    """Where the search for faces in a person's own template stands (a job on the swaps queue)."""

    PENDING = "pending", _("Waiting for its turn")
    PROCESSING = "processing", _("Finding faces")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Template(models.Model):
    """A couple template (table `templates`): a picture with a husband face and a wife face to replace.

    `face_positions` is a JSON list with one entry per face found or marked in the picture, in the
    picture's pixel coordinates (origin top-left)::

        {
          "box": [x1, y1, x2, y2],          # the face's box, x1 < x2 and y1 < y2
          "kps": [[x, y], ...],             # 5 key points, insightface order: left eye, right eye, nose tip,
                                            #   left mouth corner, right mouth corner (left = image left)
          "landmarks": [[x, y], ...] | null,  # dlib's 68 points for detected photo faces, null when marked by hand
          "score": 0.97,                    # detector confidence (1.0 for a face marked by hand)
          "role": "husband" | "wife" | null,
          "source": "detected" | "manual"
        }

    It is validated (and normalised) on every save by `validate_face_positions`; `face_count` follows its
    length. A template can be activated only with exactly one husband face and one wife face
    (`activation_problems()` says what is missing).
    """

    # RESTRICT: a template's picture cannot be deleted while the template uses it (archive instead), except
    # with the template itself, as when an account goes with its own templates and their pictures.
    image = models.OneToOneField(
        "gallery.Image",
        on_delete=models.RESTRICT,
        null=True,
        db_column="image_id",
        related_name="template",
    )
    title = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    artist = models.CharField(max_length=255, null=True, blank=True)
    source_url = models.URLField(max_length=500, null=True, blank=True)
    # Not in the seed's table, which nevertheless indexes templates(category): the gallery filters on it.
    category = models.CharField(max_length=50, choices=Category.choices, null=True, blank=True)
    face_count = models.IntegerField(default=2, db_default=2, null=True)
    face_positions = models.JSONField(default=list, blank=True, null=True, validators=[validate_face_positions])
    popularity_score = models.IntegerField(default=0, db_default=0, null=True)
    is_active = models.BooleanField(default=True, db_default=True, null=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), null=True, editable=False)
    # --- Crawled templates: the review queue and takedowns (Django's own columns beside the seed's) ---
    # Null for templates an admin added by hand; "waiting" for crawled ones until a curator decides.
    review = models.CharField(max_length=20, choices=Review.choices, null=True, blank=True)
    crawl_task = models.ForeignKey(
        "CrawlTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="templates", editable=False
    )
    takedown_reason = models.TextField(null=True, blank=True, editable=False)
    taken_down_at = models.DateTimeField(null=True, blank=True, editable=False)
    # --- A person's own scene (additions to the seed schema, see README "Own templates") ---
    # Null for the site's templates. Set: a private template only its owner sees and uses; cleared when a
    # curator approves it for the gallery (the site takes it over, `submitted_by` keeps the attribution).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_column="owner_id",
        related_name="own_templates",
        editable=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggested_templates",
        editable=False,
    )
    suggested_at = models.DateTimeField(null=True, blank=True, editable=False)
    licence_confirmed = models.BooleanField(null=True, blank=True, editable=False)
    faces_status = models.CharField(max_length=20, choices=OwnFaces.choices, null=True, blank=True, editable=False)
    faces_progress = models.IntegerField(default=0, db_default=0, null=True, editable=False)
    faces_error = models.TextField(null=True, blank=True, editable=False)
    faces_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The owner deleted it but kept the swaps made with it: hidden from them, kept for those swaps.
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "templates"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["category"], name="idx_templates_category"),
            # The gallery's two orders over active templates, so a page reads its rows from an index (and a
            # seek page starts inside it) instead of sorting every active row. Search (trigram GIN indexes
            # on PostgreSQL) and the tag filter have their own indexes; see the migration.
            models.Index(
                F("popularity_score").desc(),
                F("created_at").desc(),
                F("id").desc(),
                condition=Q(is_active=True, owner__isnull=True),
                name="idx_templates_active_popular",
            ),
            models.Index(
                F("created_at").desc(),
                F("id").desc(),
                condition=Q(is_active=True, owner__isnull=True),
                name="idx_templates_active_newest",
            ),
            # A category's count (to 10,000) from the index alone.
            models.Index(
                fields=["category"],
                condition=Q(is_active=True, owner__isnull=True),
                name="idx_templates_active_category",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.face_positions = validate_face_positions(self.face_positions)
        self.face_count = len(self.face_positions)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "face_positions" in update_fields:
            kwargs["update_fields"] = {*update_fields, "face_count"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        image = self.image if self.image_id else None
        try:
            self.face_positions = validate_face_positions(
                self.face_positions,
                width=image.width if image else None,
                height=image.height if image else None,
            )
        except ValidationError as exc:
            raise ValidationError({"face_positions": exc.messages}) from exc

    @property
    def is_own(self) -> bool:
        """A person's own scene, private to them."""
        return self.owner_id is not None

    @property
    def held_for_review(self) -> bool:
        """An own template whose picture the content gate found borderline, until a curator approves it."""
        content = ((self.image.metadata or {}).get("content") or {}) if self.image_id else {}
        return content.get("verdict") == "borderline" and self.review != Review.APPROVED

    def usable_by(self, user) -> bool:
        """Whether this person may swap with it: an active site template, or their own with both faces."""
        if self.taken_down_at is not None:
            return False
        if self.owner_id is None:
            return bool(self.is_active)
        return (
            user is not None
            and self.owner_id == user.pk
            and self.removed_at is None
            and self.roles_complete
            and not self.held_for_review
        )

    def face_for_role(self, role: str) -> dict | None:
        """The face_positions entry marked with this role, if any."""
        return next((face for face in self.face_positions or [] if face.get("role") == role), None)

    @property
    def roles_complete(self) -> bool:
        return all(self.face_for_role(role) is not None for role in ROLES)

    def activation_problems(self) -> list[str]:
        """Why this template cannot be offered to couples yet (empty when it can be activated)."""
        problems = []
        if self.taken_down_at is not None:
            problems.append(
                gettext("It was taken down: %(reason)s.")
                % {"reason": self.takedown_reason or gettext("no reason recorded")}
            )
        if self.review == Review.REJECTED:
            problems.append(gettext("It was rejected in the review queue."))
        if self.image_id is None:
            problems.append(gettext("It has no picture."))
        try:
            faces = validate_face_positions(self.face_positions)
        except ValidationError as exc:
            return [*problems, *exc.messages]
        if not faces:
            problems.append(
                gettext("No faces are marked: detect faces again, or mark the husband and the wife by hand.")
            )
            return problems
        missing = [role for role in ROLES if not any(face["role"] == role for face in faces)]
        if missing:
            problems.append(
                ngettext(
                    "No face is marked %(missing)s: choose a role for each of the two faces (%(count)d face marked).",
                    "No face is marked %(missing)s: choose a role for each of the two faces (%(count)d faces marked).",
                    len(faces),
                )
                % {"missing": gettext(" or ").join(str(ROLE_NAMES[role]) for role in missing), "count": len(faces)}
            )
        return problems

    @property
    def review_label(self) -> str:
        """The review queue's status: "taken down", "rejected", "approved", "needs faces" or "ready"."""
        if self.taken_down_at is not None:
            return "taken down"
        if self.review in (Review.REJECTED, Review.APPROVED):
            return self.review
        return "ready" if self.roles_complete else "needs faces"

    def get_category_display_short(self) -> str:
        return CATEGORY_SHORT.get(self.category or "", self.get_category_display() or "")

    def role_markers(self) -> list[dict]:
        """The husband and wife boxes as percentages of the picture, for markers drawn over a preview."""
        image = self.image if self.image_id else None
        if not (image and image.width and image.height):
            return []
        markers = []
        for role in ROLES:
            face = self.face_for_role(role)
            if face:
                x1, y1, x2, y2 = face["box"]
                markers.append(
                    {
                        "role": role,
                        "left": round(100 * x1 / image.width, 2),
                        "top": round(100 * y1 / image.height, 2),
                        "width": round(100 * (x2 - x1) / image.width, 2),
                        "height": round(100 * (y2 - y1) / image.height, 2),
                    }
                )
        return markers

    def focus(self, frame_ratio: float = 4 / 3) -> str:
        """CSS object-position that keeps the couple's faces in view when the picture is cropped to a card.

        frame_ratio is the card's width/height; the picture fills it (object-fit: cover), and the visible
        window is centred on the faces as far as the picture's edges allow.
        """
        image = self.image if self.image_id else None
        faces = [face for role in ROLES if (face := self.face_for_role(role))] or list(self.face_positions or [])
        if not (image and image.width and image.height and faces):
            return "50% 35%"
        centre_x = (min(f["box"][0] for f in faces) + max(f["box"][2] for f in faces)) / 2 / image.width
        centre_y = (min(f["box"][1] for f in faces) + max(f["box"][3] for f in faces)) / 2 / image.height
        picture_ratio = image.width / image.height
        # The fraction of the picture's width (or height) that the card shows.
        visible_x = min(1.0, frame_ratio / picture_ratio)
        visible_y = min(1.0, picture_ratio / frame_ratio)

        def position(centre: float, visible: float) -> float:
            if visible >= 1.0:
                return 50.0
            start = min(max(centre - visible / 2, 0.0), 1.0 - visible)
            return 100 * start / (1.0 - visible)

        return f"{position(centre_x, visible_x):.0f}% {position(centre_y, visible_y):.0f}%"

    @property
    def sorted_tags(self) -> list:
        """The picture's tags by name (prefetch `image__tags` to read them without a query per template)."""
        if self.image_id is None:
            return []
        return sorted(self.image.tags.all(), key=lambda tag: tag.name.lower())


class Favourite(models.Model):
    """A template a person marked with a heart (table `template_favourites`, an addition to the seed
    schema): "My favourites" lists them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "template_favourites"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "template"], name="template_favourites_once")]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.template_id}"


class TagCount(models.Model):
    """How many active templates carry each tag (table `template_tag_counts`, an addition to the seed
    schema): the gallery's tag chips read the largest counts from here instead of counting every tagged
    row on each page. `templates.tag_counts` keeps it up to date as templates and their tags change."""

    tag = models.OneToOneField("taggit.Tag", on_delete=models.CASCADE, primary_key=True, related_name="+")
    name = models.CharField(max_length=100)
    slug = models.CharField(max_length=100)
    template_count = models.IntegerField(default=0)

    class Meta:
        db_table = "template_tag_counts"
        indexes = [
            models.Index(F("template_count").desc(), "name", name="idx_tag_counts_count"),
            models.Index(fields=["slug"], name="idx_tag_counts_slug"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.template_count}"


class CrawlTask(models.Model):
    """A request to collect template candidates from an image site (table `crawl_tasks`).

    `filters` (JSON) may set `min_width`, `min_height`, `max_images`, `extra_tags`, `exclude_tags`,
    `ratings` (Danbooru letters, default only "g") and `detect_faces`. The run's totals per outcome and its
    last lines are kept in `report`; see `templates.crawl_services`.
    """

    class SourceType(models.TextChoices):
        PIXIV = "pixiv", "Pixiv"
        DANBOORU = "danbooru", "Danbooru"
        CUSTOM = "custom", "Custom"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    source_type = models.CharField(max_length=50, choices=SourceType.choices, null=True)
    search_query = models.TextField(null=True, blank=True)
    filters = models.JSONField(default=dict, blank=True, null=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING, null=True
    )
    images_collected = models.IntegerField(default=0, db_default=0, null=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), null=True, editable=False)
    # Django's own columns beside the seed's: how the run went.
    limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Stop after this many new templates (default CRAWL_MAX_IMAGES)."
    )
    error_message = models.TextField(null=True, blank=True, editable=False)
    report = models.JSONField(default=dict, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "crawl_tasks"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_source_type_display()}: {self.search_query or '-'}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED, self.Status.CANCELLED)


class CrawledTemplate(Template):
    """The admin's review queue: crawled templates waiting for a curator (same table, its own admin page)."""

    class Meta:
        proxy = True
        verbose_name = "crawled template (review queue)"
        verbose_name_plural = "review queue: crawled templates"
