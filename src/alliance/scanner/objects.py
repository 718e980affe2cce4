"""What a bulk scan reads: objects listed under an S3 prefix, or files under local folders.

A source lists :class:`ObjectRef` (key, ETag, size, time) on the driver and hands each
scanning process a local file to hash (``local_copy``): an S3 object is downloaded to a
temporary file named with the key's suffix (a video is recognised by its suffix, and vPDQ
reads a file), a local file is read where it is. Sources are small frozen
dataclasses, so an engine can send them to other processes and machines as they are; the
S3 client is made once per process.

An object that vanished or changed between the listing and the read is an
:class:`ObjectUnavailable`: the scan records it and goes on.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alliance.errors import AllianceError, ConfigurationError, InvalidInput, NotFound
from alliance.hashing.files import walk

S3_SCHEME = "s3://"


class ObjectUnavailable(AllianceError):
    """An object listed for the scan could not be read: gone, changed or refused."""

    code = "object_unavailable"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object to scan. ``etag`` names its version: S3's ETag, or the size and
    modification time of a local file, so a changed object is scanned again."""

    key: str
    etag: str
    size: int
    modified: str = ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class LocalSource:
    """Files named and files under folders named (hidden ones skipped), in path order.
    Every node of a cluster must see them at the same paths (a shared file system)."""

    roots: tuple[str, ...]

    def list(self) -> Iterator[ObjectRef]:
        for path in walk(Path(root) for root in self.roots):
            try:
                info = path.stat()
            except OSError:
                continue  # gone since the walk: nothing to scan
            modified = datetime.fromtimestamp(info.st_mtime, UTC)
            yield ObjectRef(
                str(path), f"{info.st_size}-{info.st_mtime_ns}", info.st_size, _iso(modified)
            )

    def name(self, ref: ObjectRef) -> str:
        return ref.key

    def content_id(self, ref: ObjectRef) -> str:
        path = Path(ref.key).resolve()
        for root in self.roots:
            base = Path(root).resolve()
            if base.is_dir() and path.is_relative_to(base):
                return path.relative_to(base).as_posix()
        return path.name

    @contextmanager
    def local_copy(self, ref: ObjectRef) -> Iterator[Path]:
        path = Path(ref.key)
        try:
            info = path.stat()
        except FileNotFoundError:
            raise ObjectUnavailable(f"{ref.key}: vanished since it was listed") from None
        except OSError as exc:
            raise ObjectUnavailable(f"{ref.key}: cannot read ({exc.strerror or exc})") from None
        if f"{info.st_size}-{info.st_mtime_ns}" != ref.etag:
            raise ObjectUnavailable(f"{ref.key}: changed since it was listed; scan it again")
        yield path


#: S3 clients of this process by endpoint: a client is thread-safe and costly to make.
_CLIENTS: dict[str | None, Any] = {}


def _client(endpoint_url: str | None) -> Any:
    if endpoint_url not in _CLIENTS:
        try:
            import boto3  # noqa: PLC0415 — only bulk scans of S3 need it
            from botocore.config import Config  # noqa: PLC0415
        except ImportError:
            raise ConfigurationError(
                "scanning S3 needs boto3: pip install 'alliance[ray]'"
            ) from None
        config = Config(
            retries={"max_attempts": 5, "mode": "standard"},
            # A custom endpoint (MinIO, Ceph, a test server) seldom has bucket subdomains.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        _CLIENTS[endpoint_url] = boto3.client("s3", endpoint_url=endpoint_url, config=config)
    return _CLIENTS[endpoint_url]


def _s3_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


#: A suffix safe to put in a temporary file's name (``.jpg``, ``.mp4``...).
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}$")


@dataclass(frozen=True, slots=True)
class S3Source:
    """Objects under ``prefix`` in ``bucket``, in key order. ``endpoint_url`` is an
    S3-compatible server (else boto3's own, which reads ``AWS_ENDPOINT_URL``);
    credentials come from each node's environment as boto3 finds them."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None

    @property
    def uri(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}"

    def _translate(self, exc: Exception) -> AllianceError:
        code = _s3_code(exc)
        if code in ("NoSuchBucket", "404"):
            return NotFound(f"{self.uri}: no such bucket at {self._where()}")
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
            return ConfigurationError(f"{self.uri}: access refused ({code}); check the credentials")
        kind = type(exc).__name__
        if kind in ("NoCredentialsError", "PartialCredentialsError"):
            return ConfigurationError(
                f"{self.uri}: no S3 credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                "or a profile)"
            )
        if kind in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError"):
            return ConfigurationError(f"cannot reach S3 at {self._where()}: {exc}")
        return ConfigurationError(f"{self.uri}: {kind}: {exc}")

    def _where(self) -> str:
        return self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or "AWS"

    def list(self) -> Iterator[ObjectRef]:
        client = _client(self.endpoint_url)
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    if item["Key"].endswith("/"):
                        continue  # a "folder" marker, no content
                    yield ObjectRef(
                        item["Key"],
                        str(item.get("ETag", "")).strip('"'),
                        int(item.get("Size", 0)),
                        _iso(item["LastModified"]) if "LastModified" in item else "",
                    )
        except AllianceError:
            raise
        except Exception as exc:  # botocore's errors: translated, never a traceback
            raise self._translate(exc) from None

    def name(self, ref: ObjectRef) -> str:
        return f"{S3_SCHEME}{self.bucket}/{ref.key}"

    def content_id(self, ref: ObjectRef) -> str:
        return ref.key.removeprefix(self.prefix).lstrip("/") or ref.key

    @contextmanager
    def local_copy(self, ref: ObjectRef) -> Iterator[Path]:
        client = _client(self.endpoint_url)
        name = self.name(ref)
        try:
            # IfMatch: the bytes hashed are the version listed (and checkpointed).
            answer = client.get_object(Bucket=self.bucket, Key=ref.key, IfMatch=f'"{ref.etag}"')
            data = answer["Body"].read()
        except Exception as exc:
            code = _s3_code(exc)
            if code in ("NoSuchKey", "404"):
                raise ObjectUnavailable(f"{name}: vanished since it was listed") from None
            if code in ("PreconditionFailed", "412"):
                raise ObjectUnavailable(
                    f"{name}: changed since it was listed; scan it again"
                ) from None
            raise ObjectUnavailable(
                f"{name}: cannot read ({self._translate(exc).message})"
            ) from None
        found = _SUFFIX.search(ref.key)
        handle, path = tempfile.mkstemp(prefix="alliance-scan-", suffix=found[0] if found else "")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            yield Path(path)
        finally:
            Path(path).unlink(missing_ok=True)


#: A source of a bulk scan.
Source = LocalSource | S3Source


def open_source(paths: Sequence[str], endpoint_url: str | None = None) -> Source:
    """The source of a bulk scan: one ``s3://bucket/prefix``, or local files and folders."""
    remote = [p for p in paths if p.startswith(S3_SCHEME)]
    if not remote:
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            raise InvalidInput(f"{missing[0]}: no such file or folder")
        return LocalSource(tuple(paths))
    if len(paths) != 1:
        raise InvalidInput("scan one s3://bucket/prefix at a time, without local paths")
    bucket, _, prefix = paths[0].removeprefix(S3_SCHEME).partition("/")
    if not bucket:
        raise InvalidInput(f"{paths[0]}: no bucket named (s3://bucket/prefix)")
    return S3Source(bucket, prefix, endpoint_url or None)
