"""A page's file upload read in memory: never spooled to a temporary file.

Starlette's ``request.form()`` writes a file part of more than 1 MB to a temporary file on
disk. Media uploaded to be matched must never be stored (as ``POST /api/v1/match/file``,
which reads the raw body), so a page that takes one reads its ``multipart/form-data``
body here: the whole body in memory (bounded by ALLIANCE_MAX_UPLOAD_BYTES, see
``alliance.web.security.UPLOAD_PATHS``), its parts split by python-multipart's parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from alliance.errors import InvalidInput

#: Parts a page form may send (fields and files); more is not a form of ours. Adding files
#: to a bank sends about a dozen fields, and the files (each within the body's limit).
MAX_PARTS = 64
#: Length of a text field (a CSRF token, a choice); files have the body's limit.
MAX_FIELD_BYTES = 64 * 1024


class MalformedUpload(InvalidInput):
    """The body is not a multipart form of ours."""


@dataclass
class UploadedForm:
    """Text fields by name and files by name (file name, bytes), all in memory."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    #: Every file sent under a name, in order (an ``<input type=file multiple>``).
    all_files: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)


def parse(content_type: str, body: bytes) -> UploadedForm:
    """Split a ``multipart/form-data`` body into fields and files."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise MalformedUpload("send the file with the form on this page (multipart/form-data)")
    form = UploadedForm()
    parts: list[tuple[dict[bytes, bytes], bytearray]] = []
    header_name = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        if len(parts) >= MAX_PARTS:
            raise MalformedUpload(f"send at most {MAX_PARTS - 16} files at a time")
        parts.append(({}, bytearray()))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][1].extend(data[start:end])

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        parts[-1][0][bytes(header_name).lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError:
        raise MalformedUpload("the upload is not a well-formed form; send it again") from None
    for headers, data in parts:
        _, disposition = parse_options_header(headers.get(b"content-disposition"))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            continue
        if b"filename" in disposition:
            filename = disposition[b"filename"].decode("utf-8", "replace")
            form.files.setdefault(name, (filename, bytes(data)))
            form.all_files.setdefault(name, []).append((filename, bytes(data)))
        else:
            if len(data) > MAX_FIELD_BYTES:
                raise MalformedUpload(f"the field {name!r} is too long")
            form.fields[name] = data.decode("utf-8", "replace")
    return form


async def read_upload(request: Request) -> UploadedForm:
    """The request's multipart form, read whole into memory (once: the CSRF check and the
    route share it)."""
    cached = getattr(request.state, "uploaded_form", None)
    if isinstance(cached, UploadedForm):
        return cached
    form = parse(request.headers.get("content-type", ""), await request.body())
    request.state.uploaded_form = form
    return form
