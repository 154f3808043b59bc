"""The store: skills, files, versions and provenance (the façade is in ``skillyard.api``)."""

from .backends import default_location, open_store
from .disclosure import Activation, Catalog, CatalogEntry, build_catalog
from .sqlite import SQLiteStore
from .store import PutOutcome, SkillSummary, Store, VersionInfo

__all__ = [
    "Activation", "Catalog", "CatalogEntry", "PutOutcome",
    "SQLiteStore", "SkillSummary", "Store", "VersionInfo", "build_catalog", "default_location",
    "open_store",
]
