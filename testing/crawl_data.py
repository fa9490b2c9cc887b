"""A Danbooru-shaped site for crawl tests: JSON pages of posts and pictures made from the shared test photos.

`FakeBooru` registers its handlers on a real pytest-httpserver on 127.0.0.1; the crawler talks to it over
HTTP exactly as it would to Danbooru. Pictures are mosaics of the shared photos (anime art and real
photos), different enough from each other that their perceptual hashes are far apart.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image as PILImage
from PIL import ImageOps
from werkzeug import Request, Response

from testing import FACES_DIR

PHOTOS = (
    "anime_two_girls_tadne.jpg",
    "anime_two_main_and_background_tadne.jpg",
    "anime_single_madoka.jpg",
    "couple_man_woman_closeup.jpg",
    "couple_man_woman_casual.jpg",
    "two_men_whitehouse.jpg",
    "group_six_people.jpg",
    "man_single_obama.jpg",
    "woman_single_astronaut.png",
    "noface_coffee.png",
)
_loaded: dict[str, PILImage.Image] = {}


def _photo(name: str) -> PILImage.Image:
    if name not in _loaded:
        with PILImage.open(Path(FACES_DIR) / name) as img:
            _loaded[name] = img.convert("RGB")
    return _loaded[name]


def mosaic(n: int, size: tuple[int, int] = (1200, 900)) -> PILImage.Image:
    """Picture number n: four tiles cut from the shared photos, chosen, cropped and flipped by n."""
    rng = random.Random(n)
    width, height = size
    canvas = PILImage.new("RGB", size)
    tile_w, tile_h = width // 2, height // 2
    for i in range(4):
        source = _photo(rng.choice(PHOTOS))
        crop_w, crop_h = int(source.width * rng.uniform(0.45, 0.8)), int(source.height * rng.uniform(0.45, 0.8))
        left, top = rng.randint(0, source.width - crop_w), rng.randint(0, source.height - crop_h)
        tile = source.crop((left, top, left + crop_w, top + crop_h)).resize((tile_w, tile_h))
        if rng.random() < 0.5:
            tile = ImageOps.mirror(tile)
        canvas.paste(tile, ((i % 2) * tile_w, (i // 2) * tile_h))
    return canvas


def couple_picture(size: tuple[int, int] = (1024, 1024)) -> PILImage.Image:
    """The shared two-girl anime picture, scaled up past the 800 px minimum."""
    return _photo("anime_two_girls_tadne.jpg").resize(size, PILImage.Resampling.LANCZOS)


def encode(img: PILImage.Image, fmt: str = "JPEG", quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()


@dataclass
class FakeBooru:
    """Danbooru's /posts.json and its pictures, served by a real HTTP server on 127.0.0.1."""

    server: Any
    per_page: int = 20
    posts: list[dict] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[float, str]] = field(default_factory=list)  # (time.monotonic(), path) per request
    searches: list[dict] = field(default_factory=list)
    picture_delay: float = 0.0

    def __post_init__(self) -> None:
        self.server.expect_request("/posts.json").respond_with_handler(self._posts)
        self.server.expect_request(_files_pattern()).respond_with_handler(self._file)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def add(
        self,
        data: bytes | None = None,
        *,
        n: int | None = None,
        rating: str = "g",
        general: str = "2girls smile outdoors",
        characters: str = "akemi_homura kaname_madoka",
        copyright: str = "mahou_shoujo_madoka_magica",
        artist: str = "some_artist",
        md5: bool = True,
        ext: str = "jpg",
        size: tuple[int, int] | None = None,
        path: str | None = None,
    ) -> dict:
        """A post (and its file); pictures default to mosaic number n (the post's id)."""
        pid = len(self.posts) + 1
        if data is None:
            img = mosaic(pid if n is None else n)
            data = encode(img)
            size = size or img.size
        if size is None:
            with PILImage.open(io.BytesIO(data)) as img:
                size = img.size
        path = path or f"/data/original/{pid:04d}.{ext}"
        self.files[path] = data
        post = {
            "id": pid,
            "file_url": self.server.url_for(path),
            "file_ext": ext,
            "md5": hashlib.md5(data).hexdigest() if md5 else None,
            "rating": rating,
            "image_width": size[0],
            "image_height": size[1],
            "tag_string_general": general,
            "tag_string_character": characters,
            "tag_string_copyright": copyright,
            "tag_string_artist": artist,
        }
        self.posts.append(post)
        return post

    def _posts(self, request: Request) -> Response:
        self.requests.append((time.monotonic(), request.path))
        self.searches.append(dict(request.args))
        page = int(request.args.get("page", "1"))
        chunk = self.posts[(page - 1) * self.per_page : page * self.per_page]
        return Response(json.dumps(chunk), content_type="application/json")

    def _file(self, request: Request) -> Response:
        self.requests.append((time.monotonic(), request.path))
        if self.picture_delay:
            time.sleep(self.picture_delay)
        data = self.files.get(request.path)
        if data is None:
            return Response("not found", status=404)
        return Response(data, content_type="image/jpeg")


def _files_pattern() -> Any:
    import re

    return re.compile(r"^/data/.*")
