"""The S3 storage of pictures (django-storages and boto3), apart from gallery.storage so that it is imported
only when a process first uses it (the STORAGES setting names `gallery.s3.MediaStorage`, which Django imports
on the storage's first use): a process that never touches a picture (the push process, a web worker
answering cached pages) never loads boto3 (see docs/deploy.md, Capacity)."""

from __future__ import annotations

import json
from urllib.parse import quote

from django.conf import settings
from storages.backends.s3 import S3Storage

from .storage import IMMUTABLE_CACHE, PRIVATE_OBJECT_CACHE, is_public_key, public_prefix


class MediaStorage(S3Storage):
    """django-storages' S3Storage with the site's cache headers and public/presigned URLs."""

    # What uses_object_store asks, without importing this module (and boto3) to ask it.
    object_store = True

    def get_object_parameters(self, name: str) -> dict:
        params = super().get_object_parameters(name)
        params.setdefault("CacheControl", IMMUTABLE_CACHE if is_public_key(name) else PRIVATE_OBJECT_CACHE)
        return params

    def public_url(self, name: str) -> str:
        """The unsigned, cacheable URL of a public object (AWS_S3_PUBLIC_URL, e.g. a CDN, when set)."""
        base = settings.AWS_S3_PUBLIC_URL or f"{self.endpoint_url.rstrip('/')}/{self.bucket_name}"
        return f"{base.rstrip('/')}/{quote(self._normalize_name(name))}"

    def presigned_url(self, name: str, *, download_name: str = "", content_type: str = "") -> str:
        """A GET URL for a private object that expires after AWS_QUERYSTRING_EXPIRE seconds."""
        parameters = {}
        if download_name:
            parameters["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(download_name)}"
        if content_type:
            parameters["ResponseContentType"] = content_type
        return self.url(name, parameters=parameters)

    def public_read_policy(self) -> dict:
        """A bucket policy letting anyone read the public (template) prefix and nothing else."""
        prefix = self._normalize_name(public_prefix())
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicTemplatePictures",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject"],
                    "Resource": [f"arn:aws:s3:::{self.bucket_name}/{prefix}*"],
                }
            ],
        }

    def setup_bucket(self) -> list[str]:
        """Create the bucket if missing and apply the public-read policy of the template prefix."""
        client = self.connection.meta.client
        done = []
        try:
            client.head_bucket(Bucket=self.bucket_name)
        except client.exceptions.ClientError:
            client.create_bucket(Bucket=self.bucket_name)
            done.append(f"created bucket {self.bucket_name}")
        client.put_bucket_policy(Bucket=self.bucket_name, Policy=json.dumps(self.public_read_policy()))
        done.append(f"public read for {public_prefix()}* only")
        return done
