"""Bundle import and export from the admin: upload handling kept apart from the ModelAdmin."""

from __future__ import annotations

import io
import secrets
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.roles import can
from courses.bundles import KINDS, BundleError, export_course, import_bundle, safety
from courses.bundles.importer import ImportResult
from courses.models import Course

if TYPE_CHECKING:
    from courses.admin import CourseAdmin

IMPORT_TEMPLATE = "admin/courses/course/import_bundle.html"
# An upload waits in the shared cache (Redis in production, so any web node can confirm
# what another previewed) between its preview and the instructor's confirmation, under an
# unguessable token that only the uploader's session holds. The upload itself is kept
# (at most MAX_BUNDLE_BYTES), never the unpacked folder: each step unpacks into a
# temporary directory of its own and removes it before answering.
PENDING_KEY_PREFIX = "bundle-import-preview:"
PENDING_MAX_AGE = 60 * 60
SESSION_KEY = "bundle_import_previews"

KIND_LABELS = {
    "record": "Module record",
    "recall": "Recall week",
    "explainer": "Explainer page",
    "cheatsheet": "Cheat sheet (a question bank)",
}
# The upload may be as large as the unpacked bundle the importer accepts (one limit, in safety.py).
MAX_BUNDLE_BYTES = safety.MAX_BUNDLE_BYTES
MAX_BUNDLE_MB = MAX_BUNDLE_BYTES // (1024 * 1024)
TOO_LARGE = f"The unpacked bundle would be larger than {MAX_BUNDLE_MB} MB."
MAX_BUNDLE_MEMBERS = 5000
DOCUMENT_SUFFIXES = {".md", ".txt"}
# Archivers on macOS add these; they are never part of a bundle.
IGNORED_TOP_LEVEL = {"__MACOSX"}


class UploadRejected(Exception):
    """The upload is not something we will unpack; the message is shown to the instructor."""


class ImportRefused(Exception):
    """The bundle rewrites a course this user may not edit (accounts/roles.py "edit")."""


def _check_may_import(request: HttpRequest, result: ImportResult) -> None:
    """A new course needs the add permission (asked before); an existing one, the right to edit it."""
    if not result.created and not can(request.user, "edit", result.course):
        raise ImportRefused(
            f"The bundle rewrites “{result.course.title}” ({result.course.slug}), a course you do not "
            "edit; nothing was imported. Ask one of its instructors, or change the slug to make a new course."
        )


def _import_checked(request: HttpRequest, target: Path, **options: Any) -> ImportResult:
    """import_bundle, refused (and rolled back) when it rewrites a course the user does not edit."""
    with transaction.atomic():
        result = import_bundle(target, **options)
        _check_may_import(request, result)
    return result


class BundleImportForm(forms.Form):
    upload = forms.FileField(
        label="Bundle or document",
        help_text="A .zip of a bundle folder (with course.md), or one seed-style .md/.txt document.",
    )
    course_slug = forms.SlugField(
        required=False,
        label="Course slug",
        help_text="Needed for a single document: the course it is imported into.",
    )
    kind = forms.ChoiceField(
        required=False,
        # Every kind the importer knows (a new kind without a label fails loudly at start-up).
        choices=[("", "Detect from the content"), *((kind, KIND_LABELS[kind]) for kind in KINDS)],
        help_text="Only for a single document.",
    )

    def clean_upload(self) -> UploadedFile:
        upload = self.cleaned_data["upload"]
        if upload.size > MAX_BUNDLE_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BUNDLE_MB} MB.")
        suffix = PurePosixPath(upload.name).suffix.lower()
        if suffix != ".zip" and suffix not in DOCUMENT_SUFFIXES:
            raise forms.ValidationError("Upload a .zip bundle or a .md/.txt document.")
        return upload

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        upload = cleaned.get("upload")
        if upload is not None and self.is_document() and not cleaned.get("course_slug"):
            self.add_error("course_slug", "A single document needs the slug of the course it goes into.")
        return cleaned

    def is_document(self) -> bool:
        upload = self.cleaned_data.get("upload")
        return upload is not None and PurePosixPath(upload.name).suffix.lower() in DOCUMENT_SUFFIXES


def _member_target(root: Path, info: zipfile.ZipInfo) -> Path:
    """Where a zip member may be written, or UploadRejected for anything that escapes root."""
    name = info.filename
    pure = PurePosixPath(name)
    if "\\" in name or pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise UploadRejected(f"The zip member {name!r} has an unsafe path; nothing was imported.")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UploadRejected(f"The zip member {name!r} is a symbolic link; nothing was imported.")
    target = (root / pure).resolve()
    if not target.is_relative_to(root.resolve()):
        raise UploadRejected(f"The zip member {name!r} has an unsafe path; nothing was imported.")
    return target


def extract_zip(data: UploadedFile | IO[bytes], root: Path) -> None:
    """Unpack an uploaded zip under root, refusing unsafe paths and more than MAX_BUNDLE_BYTES."""
    try:
        archive = zipfile.ZipFile(data)
    except zipfile.BadZipFile:
        raise UploadRejected("The upload is not a valid .zip file.") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_BUNDLE_MEMBERS:
            raise UploadRejected(f"The zip has more than {MAX_BUNDLE_MEMBERS} members.")
        # Check every member before writing any, so a bad zip leaves nothing behind.
        targets = [(info, _member_target(root, info)) for info in members]
        if sum(info.file_size for info in members) > MAX_BUNDLE_BYTES:
            raise UploadRejected(TOO_LARGE)
        written = 0
        for info, target in targets:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, target.open("wb") as dest:
                # The sizes in the zip directory can lie; count what is actually inflated.
                while chunk := source.read(64 * 1024):
                    written += len(chunk)
                    if written > MAX_BUNDLE_BYTES:
                        raise UploadRejected(TOO_LARGE)
                    dest.write(chunk)


def find_bundle_root(root: Path) -> Path:
    """The folder holding course.md: the zip's top level or its single top folder."""
    if (root / "course.md").is_file():
        return root
    folders = [p for p in root.iterdir() if p.is_dir() and p.name not in IGNORED_TOP_LEVEL]
    if len(folders) == 1 and (folders[0] / "course.md").is_file():
        return folders[0]
    raise UploadRejected("The zip holds no course.md, neither at its top nor in a single top folder.")


def _error_text(err: BundleError, root: Path) -> str:
    # The bundle sits in a temporary folder; its path means nothing to the instructor.
    return _strip_root(str(err), root)


def _unpack(name: str, data: bytes, root: Path) -> Path:
    """Write an upload (file name, bytes) under root; the path to import (a bundle folder or a document)."""
    if PurePosixPath(name).suffix.lower() in DOCUMENT_SUFFIXES:
        # Only the base name is kept, so the file lands inside root whatever the browser sent.
        target = root / (PurePosixPath(name.replace("\\", "/")).name or "document.md")
        target.write_bytes(data)
        return target
    extract_zip(io.BytesIO(data), root)
    return find_bundle_root(root)


def _pending_key(token: str) -> str:
    return PENDING_KEY_PREFIX + token


def _context(request: HttpRequest, model_admin: CourseAdmin, **extra: Any) -> dict[str, Any]:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Import a course bundle",
        "max_mb": MAX_BUNDLE_MB,
        **extra,
    }


def _preview(request: HttpRequest, form: BundleImportForm, model_admin: CourseAdmin) -> HttpResponse:
    """Step one: unpack, run the whole import as a dry run, show its report and keep the upload."""
    upload = form.cleaned_data["upload"]
    upload.seek(0)
    name, data = str(upload.name), upload.read()  # the form refused anything over MAX_BUNDLE_BYTES
    course_slug, kind = form.cleaned_data["course_slug"] or None, form.cleaned_data["kind"] or None
    with tempfile.TemporaryDirectory(prefix="studyhall-import-") as tmp:
        root = Path(tmp)
        try:
            result = import_bundle(
                _unpack(name, data, root), course_slug=course_slug, kind=kind, dry_run=True
            )
            _check_may_import(request, result)
        except (UploadRejected, BundleError, ImportRefused) as err:
            if isinstance(err, UploadRejected):
                form.add_error("upload", str(err))
            else:
                form.add_error(None, _error_text(err, root) if isinstance(err, BundleError) else str(err))
            context = _context(request, model_admin, form=form)
            status = 403 if isinstance(err, ImportRefused) else 400
            return TemplateResponse(request, IMPORT_TEMPLATE, context, status=status)
        lines = [_strip_root(line, root) for line in result.lines()]
    token = secrets.token_urlsafe(24)
    pending = {"name": name, "data": data, "course_slug": course_slug, "kind": kind}
    cache.set(_pending_key(token), pending, timeout=PENDING_MAX_AGE)
    previews = request.session.get(SESSION_KEY, [])
    request.session[SESSION_KEY] = [*(previews if isinstance(previews, list) else []), token][-20:]
    context = _context(request, model_admin, report=lines, token=token, title="Check the import")
    return TemplateResponse(request, "admin/courses/course/import_preview.html", context)


def _claim(request: HttpRequest, token: str) -> dict[str, Any] | None:
    """This session's kept upload, taken out of the cache (so only one confirmation imports it)."""
    previews = request.session.get(SESSION_KEY, [])
    previews = previews if isinstance(previews, list) else []
    if token not in previews:
        return None
    request.session[SESSION_KEY] = [t for t in previews if t != token]
    pending = cache.get(_pending_key(token))
    # delete() is True only for the caller that removed the key: two confirmations at once
    # (a double click answered by two nodes) import once.
    if not isinstance(pending, dict) or not cache.delete(_pending_key(token)):
        return None
    return pending


def _confirm(request: HttpRequest, token: str, model_admin: CourseAdmin) -> HttpResponse:
    """Step two: the instructor read the report; import the kept upload for real."""
    pending = _claim(request, token)
    if pending is None:
        error = "This preview has expired or was already imported; upload the file again."
        context = _context(request, model_admin, form=BundleImportForm(), import_error=error)
        return TemplateResponse(request, "admin/courses/course/import_bundle.html", context, status=400)
    with tempfile.TemporaryDirectory(prefix="studyhall-import-") as tmp:
        root = Path(tmp)
        try:
            target = _unpack(pending["name"], pending["data"], root)
            result = _import_checked(
                request, target, course_slug=pending["course_slug"], kind=pending["kind"]
            )
        except (UploadRejected, BundleError, ImportRefused) as err:
            # The course changed between preview and confirmation in a way the bundle no longer fits
            # (or someone else created it meanwhile).
            error = _error_text(err, root) if isinstance(err, BundleError) else str(err)
            context = _context(request, model_admin, form=BundleImportForm(), import_error=error)
            status = 403 if isinstance(err, ImportRefused) else 400
            return TemplateResponse(request, IMPORT_TEMPLATE, context, status=status)
    model_admin.message_user(request, result.summary(), messages.SUCCESS)
    info = (model_admin.opts.app_label, model_admin.opts.model_name)
    return HttpResponseRedirect(reverse("admin:{}_{}_changelist".format(*info)))


def _strip_root(text: str, root: Path) -> str:
    for prefix in {str(root), str(root.resolve())}:
        text = text.replace(prefix + "/", "")
    return text


def course_import_view(request: HttpRequest, *, model_admin: CourseAdmin) -> HttpResponse:
    """Upload, then a preview of the report (nothing written), then the import on confirmation."""
    if not model_admin.has_import_permission(request):
        raise PermissionDenied
    if request.method == "POST" and "confirm" in request.POST:
        token = request.POST.get("confirm", "")
        if not isinstance(token, str) or not token.replace("-", "").replace("_", "").isalnum():
            token = "invalid"
        return _confirm(request, token, model_admin)
    if request.method == "POST":
        form = BundleImportForm(request.POST, request.FILES)
        if form.is_valid():
            return _preview(request, form, model_admin)
        context = _context(request, model_admin, form=form)
        return TemplateResponse(request, "admin/courses/course/import_bundle.html", context, status=400)
    context = _context(request, model_admin, form=BundleImportForm())
    return TemplateResponse(request, "admin/courses/course/import_bundle.html", context)


def course_export_response(course: Course) -> HttpResponse:
    """The course exported as a bundle folder named after its slug, zipped."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="studyhall-export-") as tmp:
        dest = Path(tmp) / course.slug
        export_course(course, dest)
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(dest.rglob("*")):
                if path.is_file():
                    archive.write(path, arcname=path.relative_to(tmp).as_posix())
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}.zip"'
    return response
