"""Install, lock and sync skills: ``skillyard.lock``, exact restores, updates, agent folders.

``Project(lock_path, library)`` adds sources (audited first), restores a lockfile exactly
(refusing any digest mismatch), updates to newer refs and removes skills; ``Syncer`` writes the
locked skills into agents' skill folders and keeps a record of what it wrote there.
"""

from .changes import Change
from .lockfile import LOCK_NAME, LockedFile, LockedSkill, Lockfile, LockfileError, Source, read_lock
from .project import Project, Report, TamperError
from .sync import MODES, SYNC_AGENTS, SyncAction, Syncer, SyncReport, agent_targets

__all__ = [
    "LOCK_NAME", "MODES", "SYNC_AGENTS", "Change", "LockedFile", "LockedSkill", "Lockfile",
    "LockfileError", "Project", "Report", "Source", "SyncAction", "SyncReport", "Syncer",
    "TamperError", "agent_targets", "read_lock",
]
