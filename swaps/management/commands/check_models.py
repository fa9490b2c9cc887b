"""`python manage.py check_models`: the active face engine, its model files and their licence terms."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from faceengine import BACKENDS, EngineError, engine_model_files, engine_names


class Command(BaseCommand):
    help = "Show which face engine is active, the model files it uses (path, size, sha256) and their licences."

    def add_arguments(self, parser):
        parser.add_argument("--engine", choices=engine_names(), default=None)

    def handle(self, *args, **options):
        name = options["engine"] or settings.FACESWAP_ENGINE
        folder = settings.FACESWAP_INSIGHTFACE_DIR or None
        providers = settings.FACESWAP_ONNX_PROVIDERS
        try:
            backend, files = engine_model_files(name, model_dir=folder, providers=providers)
        except EngineError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Engine: {backend} (FACESWAP_ENGINE={name}, FACESWAP_INSIGHTFACE_DIR={folder or '(unset)'})")
        cls = BACKENDS[backend]
        self.stdout.write(f"  licence: {cls.licence}")
        self.stdout.write(f"  capabilities: {', '.join(sorted(cls.capabilities)) or '(none)'}")
        self.stdout.write(f"  ONNX execution providers asked for: {providers} (FACESWAP_ONNX_PROVIDERS)")
        for file in files:
            if not file.path.is_file():
                self.stdout.write(f"  MISSING {file.role}: {file.path}")
                continue
            self.stdout.write(f"  {file.role}: {file.path}")
            self.stdout.write(f"    size {file.size} bytes, sha256 {file.sha256()}")
            self.stdout.write(f"    licence: {file.terms}")
        restricted = [file for file in files if not file.commercial_use]
        use = "commercial" if settings.FACESWAP_COMMERCIAL_USE else "non-commercial"
        self.stdout.write(
            f"Operation declared {use} (FACESWAP_COMMERCIAL_USE={settings.FACESWAP_COMMERCIAL_USE}); "
            f"{len(restricted)} of {len(files)} files forbid commercial use."
        )
