"""A CycloneDX 1.6 SBOM of a project's lockfile: each locked skill is a component with its
digest, its files' hashes, source and commit, license (from the skill), audit verdict and
verified signer (as ``skillyard:*`` properties). Built with cyclonedx-python-lib."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cyclonedx.factory.license import LicenseFactory
from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6

from .._version import __version__
from ..errors import SkillyardError

if TYPE_CHECKING:
    from ..library.protocol import SkillLibrary
    from .lockfile import LockedSkill, Lockfile

PREFIX = "skillyard:"
_URL_SCHEMES = ("http://", "https://", "git://", "ssh://", "file://")


def _sha256(value: str) -> HashType:
    return HashType(alg=HashAlgorithm.SHA_256, content=value)


def _license(entry: LockedSkill, library: SkillLibrary | None) -> str | None:
    if library is None:
        return None
    try:
        skill = library.get(entry.id)
    except SkillyardError:
        return None
    value = skill.frontmatter.get("license")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _properties(entry: LockedSkill) -> list[Property]:
    values: dict[str, Any] = {
        "digest": entry.digest, "digest-kind": "skill manifest (docs/signing.md)",
        "source:kind": entry.source.kind, "source:location": entry.source.location,
        "source:ref": entry.source.ref, "source:path": entry.source.path or None,
        "commit": entry.commit, "audit:verdict": entry.verdict, "audit:tier": entry.tier,
        "audit:findings": entry.findings,
        "audit:override": "allow-blocked" if entry.override else None,
    }
    if entry.signer:
        values["signer:identity"] = entry.signer.get("identity")
        values["signer:fingerprint"] = entry.signer.get("fingerprint")
        values["signer:namespace"] = entry.signer.get("namespace")
    return [Property(name=PREFIX + k, value=str(v)) for k, v in values.items()
            if v is not None and v != ""]


def component(entry: LockedSkill, library: SkillLibrary | None = None) -> Component:
    refs = []
    if entry.source.location.startswith(_URL_SCHEMES):
        kind = ExternalReferenceType.VCS if entry.source.kind == "git" else \
            ExternalReferenceType.DISTRIBUTION
        refs.append(ExternalReference(type=kind, url=XsUri(entry.source.location)))
    license_text = _license(entry, library)
    files = [Component(type=ComponentType.FILE, name=f.path, bom_ref=f"{entry.name}/{f.path}",
                       hashes=[_sha256(f.sha256)]) for f in entry.files]
    return Component(
        type=ComponentType.LIBRARY, name=entry.name, bom_ref=entry.name,
        version=entry.source.ref or (entry.commit[:12] if entry.commit else None),
        hashes=[_sha256(entry.digest)], external_references=refs,
        licenses=[LicenseFactory().make_from_string(license_text)] if license_text else [],
        properties=_properties(entry), components=files,
        description=f"agent skill {entry.id}",
    )


def build_sbom(lock: Lockfile, library: SkillLibrary | None = None) -> Bom:
    bom = Bom()
    root = Component(type=ComponentType.APPLICATION, name=lock.root.name or "project",
                     bom_ref="project")
    bom.metadata.component = root
    bom.metadata.tools.components.add(Component(type=ComponentType.APPLICATION,
                                                name="skillyard", version=__version__))
    bom.metadata.properties.add(Property(name=PREFIX + "lockfile", value=lock.path.name))
    skills = [component(lock.skills[name], library) for name in sorted(lock.skills)]
    for item in skills:
        bom.components.add(item)
    bom.register_dependency(root, skills)
    return bom


def sbom_json(lock: Lockfile, library: SkillLibrary | None = None) -> str:
    """The SBOM as CycloneDX 1.6 JSON text."""
    return JsonV1Dot6(build_sbom(lock, library)).output_as_string(indent=2)
