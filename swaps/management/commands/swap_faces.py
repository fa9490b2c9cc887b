"""`python manage.py swap_faces`: swap a couple into a template file from the shell (staff).

    python manage.py swap_faces --template T --husband H --wife W --output O
        [--engine auto|<backend>] [--husband-right] [--json]

The template's two largest faces are used, ordered left to right: the husband on the left unless
--husband-right. Exit 0 and O written (format from its suffix); on bad input exit 2 with one plain line
on stderr and nothing written.
"""

import json
import logging
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from faceengine import (
    EngineError,
    TemplateFacesError,
    encode_image,
    engine_names,
    get_engine,
    load_image,
    swap_couple,
)

FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}


class Command(BaseCommand):
    help = "Swap a husband's and a wife's face into a two-person template picture."

    def add_arguments(self, parser):
        parser.add_argument("--template", required=True, help="picture with two faces")
        parser.add_argument("--husband", required=True, help="photo of the husband")
        parser.add_argument("--wife", required=True, help="photo of the wife")
        parser.add_argument("--output", required=True, help="where to write the result (.jpg, .png or .webp)")
        parser.add_argument("--engine", choices=engine_names(), default=None)
        parser.add_argument("--husband-right", action="store_true", help="the husband is the face on the right")
        parser.add_argument("--json", action="store_true", help="print a JSON report to stdout")

    def fail(self, message: str):
        self.stderr.write(message)
        sys.exit(2)

    def handle(self, *args, **options):
        if options["verbosity"] < 2:
            # The engine's "models loaded" line is for worker logs; stderr here carries only the one plain
            # line of a failure (-v 2 shows it).
            logging.getLogger("faceengine").setLevel(logging.WARNING)

        output = Path(options["output"])
        fmt = FORMATS.get(output.suffix.lower())
        if fmt is None:
            self.fail(f"The output file must end in .jpg, .png or .webp (got {output.name!r}).")
        if not output.parent.is_dir():
            self.fail(f"The output folder {output.parent} does not exist.")
        try:
            template = load_image(options["template"], what="template", keep_alpha=True)
            husband = load_image(options["husband"], what="husband photo")
            wife = load_image(options["wife"], what="wife photo")
            engine = get_engine(
                options["engine"] or settings.FACESWAP_ENGINE,
                model_dir=settings.FACESWAP_INSIGHTFACE_DIR,
                providers=settings.FACESWAP_ONNX_PROVIDERS,
            )
            found = engine.detect(template, thorough=True)
            if len(found) < 2:
                raise TemplateFacesError(
                    f"The template shows {len(found) or 'no'} face{'' if len(found) == 1 else 's'} we can find; "
                    "it needs two (a husband and a wife)."
                )
            left, right = sorted(found[:2], key=lambda face: face.box[0])
            faces = {"husband": right, "wife": left} if options["husband_right"] else {"husband": left, "wife": right}
            result, report = swap_couple(template, faces, husband, wife, engine=engine)
        except EngineError as exc:
            self.fail(exc.message)
        output.write_bytes(encode_image(result, fmt))
        if options["json"]:
            summary = {
                "engine": report["engine"],
                "seconds": report["seconds"],
                "faces": [
                    {"role": face["role"], "target_box": face["target_box"], "source_box": face["source_box"]}
                    for face in report["faces"]
                ],
            }
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(f"Wrote {output} ({report['engine']} engine, {report['seconds']:.2f} s).")
