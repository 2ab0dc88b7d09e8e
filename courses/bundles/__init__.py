"""Course bundles: a course kept as Markdown + YAML files, imported and exported atomically.

The package defines no models. schema (choices read off the models), naming (the slugs
of generated questions), safety (what a bundle may not do), parsers/ (one module per
document kind), reader (files to plain data, courses.bundles.data), importer (plain data
to rows, one transaction, with a report of every line) and exporter (rows to canonical
files) are the stages; readers never write and writers never read files.
"""

from courses.bundles.errors import BundleError
from courses.bundles.exporter import export_course
from courses.bundles.importer import ImportResult, import_bundle
from courses.bundles.parsers.detect import KINDS
from courses.bundles.report import ImportReport

__all__ = ["KINDS", "BundleError", "ImportReport", "ImportResult", "export_course", "import_bundle"]
