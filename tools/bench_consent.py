"""`make bench`, consent section: what the partner's agreement costs a swap's submit and the "I agree" request.

Submit: `swaps.services.swap_submit` timed with PARTNER_CONSENT_REQUIRED off (the baseline) and on, in
alternating order in the same run, on a throwaway database and a real Redis queue (nothing is run: the
queue only receives the job). Two cases: the same photos again (the agreement found by photo), and a new
photo of the face already agreed to (its dlib descriptor computed, then matched against the agreements),
each photo's face check already done as My photos does on upload, so only what consent adds differs.

A new photo is usually picked in the swap form first: its check request describes the chosen face then
(swaps.services.descriptors_warm), so that case is timed as the check request and the submit after it.

Agree: the partner's POST /consent/<token>/agree/ through Django's test client (token lookup, the
conditional update, the waiting swap queued), against GET of the same invitation page just before it.

Run: python -m tools.bench_consent [--runs N]
"""

from __future__ import annotations

import io
import statistics
import time
from functools import partial

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client, override_settings
from django.urls import reverse

from testing import FACES_DIR
from tools import djangosetup
from tools.bench_swaps import _file, bench_environment


class Command(BaseCommand):
    help = "Benchmark: the cost partner consent adds to a swap's submit, and the partner's agree request."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=15)

    def handle(self, *args, **options) -> None:
        if not FACES_DIR.is_dir():
            raise CommandError(f"the shared test photos are not at {FACES_DIR} (set FACES_TESTDATA_DIR)")
        settings = {"SWAPS_MAX_ACTIVE_PER_USER": 10_000, "SWAPS_MAX_PER_HOUR": 10_000, "PARTNER_CONSENT_REQUIRED": True}
        with bench_environment(**settings):
            self._run(max(3, options["runs"]))

    def _run(self, runs: int) -> None:
        import django_rq

        django_rq.get_queue("swaps").empty()
        template, holder, husband, wife = self._couple("bench-holder")
        # The partner agrees once; every later swap with their face is not asked again.
        consent = self._submit(holder, template, husband, wife, consent=True).consent
        Client().post(reverse("consent:agree", args=[consent.token]))
        copies = [self._copy_of(holder, wife, 0.97 - 0.01 * i) for i in range(4 * runs)]
        form = Client()
        form.force_login(holder)

        same: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
        new: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
        # The same, the photo first picked in the swap form: its check request, then the submit.
        picked: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
        after_pick: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
        for run in range(runs):
            order = ("off", "on") if run % 2 == 0 else ("on", "off")
            for mode in order:
                same[mode].append(self._timed_submit(holder, template, husband, wife, consent=mode == "on"))
            for mode in order:
                photo = copies.pop()
                new[mode].append(self._timed_submit(holder, template, husband, photo, consent=mode == "on"))
            for mode in order:
                photo = copies.pop()
                check = {"role": "wife", "image": photo.pk}
                with override_settings(PARTNER_CONSENT_REQUIRED=mode == "on"):
                    _timed(picked[mode], partial(form.post, reverse("swaps:photo_check"), check))
                after_pick[mode].append(self._timed_submit(holder, template, husband, photo, consent=mode == "on"))

        agree: list[tuple[float, float]] = []
        page: list[tuple[float, float]] = []
        for run in range(runs):
            user, photos = self._holder(f"bench-agree-{run}")
            waiting = self._submit(user, template, *photos, consent=True, this_is_me=True)
            partner = Client()
            shown = _timed(page, lambda: partner.get(reverse("consent:invite", args=[waiting.consent.token])))  # noqa: B023
            answer = _timed(agree, lambda: partner.post(reverse("consent:agree", args=[waiting.consent.token])))  # noqa: B023
            if shown.status_code != 200 or answer.status_code != 302:
                raise CommandError(f"the invitation answered {shown.status_code} / {answer.status_code}")
        django_rq.get_queue("swaps").empty()

        def ms(values: list[tuple[float, float]], kind: int) -> float:
            return statistics.median(value[kind] for value in values) * 1000

        # Wall time and this process's CPU time: on a shared machine the CPU time is the steadier figure.
        self.stdout.write(
            f"Partner consent, median of {runs} runs, ms (wall / CPU); the baseline is measured in the same run"
        )
        self.stdout.write(
            f"  {'swap submit':<42} {'consent off':>15} {'consent on':>15} {'added':>15} {'CPU ratio':>9}"
        )
        for label, times in (
            ("same photos, face already agreed", same),
            ("new photo of the agreed face (descriptor)", new),
            ("  the same, picked in the form: its check", picked),
            ("  then the submit", after_pick),
        ):
            off = [ms(times["off"], kind) for kind in (0, 1)]
            on = [ms(times["on"], kind) for kind in (0, 1)]
            self.stdout.write(
                f"  {label:<42} {off[0]:7.1f} /{off[1]:6.1f} {on[0]:7.1f} /{on[1]:6.1f} "
                f"{on[0] - off[0]:7.1f} /{on[1] - off[1]:6.1f} {on[1] / off[1]:8.2f}x"
            )
        self.stdout.write(f"  {'the partner':<42} {'invite page GET':>15} {'agree POST':>15} {'added':>15}")
        shown_ms, agree_ms = [ms(page, kind) for kind in (0, 1)], [ms(agree, kind) for kind in (0, 1)]
        self.stdout.write(
            f"  {'agree (1 waiting swap queued)':<42} {shown_ms[0]:7.1f} /{shown_ms[1]:6.1f} "
            f"{agree_ms[0]:7.1f} /{agree_ms[1]:6.1f} "
            f"{agree_ms[0] - shown_ms[0]:7.1f} /{agree_ms[1] - shown_ms[1]:6.1f} "
            f"{agree_ms[1] / shown_ms[1]:8.2f}x"
        )

    # --- the cast ----------------------------------------------------------------------------------------

    def _couple(self, username: str):
        from templates.services import template_activate, template_create

        template = template_activate(
            template=template_create(image_file=_file("couple_man_woman_closeup.jpg"), title="Bench")
        )
        user, (husband, wife) = self._holder(username)
        return template, user, husband, wife

    def _holder(self, username: str):
        from django.contrib.auth import get_user_model

        from gallery.services import image_upload
        from swaps.services import swap_photo_check

        user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com")
        photos = [
            image_upload(owner=user, file=_file(name), image_type="source")
            for name in ("man_single_obama.jpg", "woman_single_astronaut.png")
        ]
        for photo in photos:
            swap_photo_check(image=photo)  # as My photos does on upload
            _forget_descriptor(photo)
        return user, photos

    def _copy_of(self, user, photo, scale: float):
        """Another photo of the same face (a resized copy: new bytes, a new photo), checked as on upload."""
        from PIL import Image as PILImage

        from gallery.services import image_upload
        from swaps.services import swap_photo_check

        with photo.file.open("rb") as fh, PILImage.open(fh) as picture:
            buffer = io.BytesIO()
            size = (round(picture.width * scale), round(picture.height * scale))
            picture.convert("RGB").resize(size).save(buffer, "JPEG", quality=92)
        copy = image_upload(
            owner=user, file=SimpleUploadedFile(f"copy-{scale:.2f}.jpg", buffer.getvalue()), image_type="source"
        )
        swap_photo_check(image=copy)
        _forget_descriptor(copy)
        return copy

    def _submit(self, user, template, husband, wife, *, consent: bool, this_is_me: bool = True):
        from swaps.services import PersonPhoto, swap_submit

        with override_settings(PARTNER_CONSENT_REQUIRED=consent):
            return swap_submit(
                user=user,
                template=template,
                husband=PersonPhoto(image=husband),
                wife=PersonPhoto(image=wife),
                this_is_me=this_is_me,
            )

    def _timed_submit(self, user, template, husband, wife, *, consent: bool) -> tuple[float, float]:
        times: list[tuple[float, float]] = []
        task = _timed(times, lambda: self._submit(user, template, husband, wife, consent=consent))
        if consent and task.waiting_for_partner:
            raise CommandError("a face already agreed to was asked about again")
        return times[0]


def _forget_descriptor(photo) -> None:
    """The throwaway database gives out the ids of an earlier run again: a descriptor that run kept in the
    cache under the same photo id would be taken for this photo's, and the cost measured would be nil."""
    from django.core.cache import cache

    from swaps.services.consent import DESCRIPTOR_KEY

    cache.delete(DESCRIPTOR_KEY.format(image=photo.pk, index=0, size=photo.file_size or 0))


def _timed(into: list[tuple[float, float]], call):
    """call(), its (wall, CPU of this process) seconds appended to `into`; returns what it returned."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    into.append((time.perf_counter() - wall, time.process_time() - cpu))
    return value


if __name__ == "__main__":
    djangosetup.run(Command)
