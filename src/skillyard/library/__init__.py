"""The Library: one store for skills, files, versions and provenance."""

from .disclosure import Activation, Catalog, CatalogEntry, build_catalog
from .library import IndexReport, Library, default_db_path
from .sqlite import SQLiteStore
from .store import PutOutcome, SkillSummary, Store, VersionInfo

__all__ = [
    "Activation", "Catalog", "CatalogEntry", "IndexReport", "Library", "PutOutcome",
    "SQLiteStore", "SkillSummary", "Store", "VersionInfo", "build_catalog", "default_db_path",
]
