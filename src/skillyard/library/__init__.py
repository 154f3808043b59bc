"""The Library: one store for skills, files, versions and provenance."""

from .backends import default_location, open_store
from .disclosure import Activation, Catalog, CatalogEntry, build_catalog
from .library import IndexReport, Library
from .sqlite import SQLiteStore
from .store import PutOutcome, SkillSummary, Store, VersionInfo

__all__ = [
    "Activation", "Catalog", "CatalogEntry", "IndexReport", "Library", "PutOutcome",
    "SQLiteStore", "SkillSummary", "Store", "VersionInfo", "build_catalog", "default_location",
    "open_store",
]
