"""Bundle import and export from the admin: upload handling kept apart from the ModelAdmin."""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from courses.bundles import BundleError, export_course, import_bundle
from courses.models import Course

if TYPE_CHECKING:
    from courses.admin import CourseAdmin
    from courses.bundles import ImportResult

MAX_BUNDLE_MB = 20
MAX_BUNDLE_BYTES = MAX_BUNDLE_MB * 1024 * 1024
TOO_LARGE = f"The unpacked bundle would be larger than {MAX_BUNDLE_MB} MB."
MAX_BUNDLE_MEMBERS = 5000
DOCUMENT_SUFFIXES = {".md", ".txt"}
# Archivers on macOS add these; they are never part of a bundle.
IGNORED_TOP_LEVEL = {"__MACOSX"}


class UploadRejected(Exception):
    """The upload is not something we will unpack; the message is shown to the instructor."""


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
        choices=[
            ("", "Detect from the content"),
            ("record", "Module record"),
            ("recall", "Recall week"),
            ("explainer", "Explainer page"),
        ],
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
    text = str(err)
    for prefix in {str(root), str(root.resolve())}:
        text = text.replace(prefix + "/", "")
    return text


def _import_upload(form: BundleImportForm, root: Path) -> ImportResult:
    upload = form.cleaned_data["upload"]
    if form.is_document():
        # Only the base name is kept, so the file lands inside root whatever the browser sent.
        target = root / (PurePosixPath(upload.name.replace("\\", "/")).name or "document.md")
        with target.open("wb") as dest:
            for chunk in upload.chunks():
                dest.write(chunk)
        return import_bundle(
            target, course_slug=form.cleaned_data["course_slug"], kind=form.cleaned_data["kind"] or None
        )
    extract_zip(upload, root)
    return import_bundle(find_bundle_root(root))


def course_import_view(request: HttpRequest, *, model_admin: CourseAdmin) -> HttpResponse:
    if not model_admin.has_import_permission(request):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = BundleImportForm(request.POST, request.FILES)
        if form.is_valid():
            with tempfile.TemporaryDirectory(prefix="studyhall-import-") as tmp:
                root = Path(tmp)
                try:
                    # The importer is atomic already; this keeps "nothing changed" true here regardless.
                    with transaction.atomic():
                        result = _import_upload(form, root)
                except UploadRejected as err:
                    form.add_error("upload", str(err))
                except BundleError as err:
                    form.add_error(None, _error_text(err, root))
                else:
                    model_admin.message_user(request, result.summary(), messages.SUCCESS)
                    info = (model_admin.opts.app_label, model_admin.opts.model_name)
                    return HttpResponseRedirect(reverse("admin:{}_{}_changelist".format(*info)))
        status = 400
    else:
        form = BundleImportForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Import a course bundle",
        "form": form,
        "max_mb": MAX_BUNDLE_MB,
    }
    return TemplateResponse(request, "admin/courses/course/import_bundle.html", context, status=status)


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
