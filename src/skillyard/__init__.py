"""skillyard: find, vet, serve, learn and measure LLM agent skills (SKILL.md packages)."""

from ._version import __version__
from .api import Library
from .diagnostics import Diagnostic
from .errors import SkillyardError
from .skill import Provenance, Skill, SkillFile, parse_skill_md, validate
from .sources import load_skill_dir

__all__ = [
    "Diagnostic", "Library", "Provenance", "Skill", "SkillFile", "SkillyardError",
    "load_skill_dir", "parse_skill_md", "validate", "__version__",
]
