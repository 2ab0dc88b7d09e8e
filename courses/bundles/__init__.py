"""Course bundles: a course kept as Markdown + YAML files, imported and exported atomically.

The reader turns files into plain data (courses.bundles.data), the seed-format parsers do
the same for documents written like the example material, the importer writes that data
to the database in one transaction and the exporter writes the canonical files back.
"""

from courses.bundles.errors import BundleError
from courses.bundles.exporter import export_course
from courses.bundles.importer import ImportResult, import_bundle

__all__ = ["BundleError", "ImportResult", "export_course", "import_bundle"]
