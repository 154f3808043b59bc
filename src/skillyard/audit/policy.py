"""Audit policy (a TOML file): thresholds, which rules are on, severity overrides, and the trust
ceiling each source or signer may reach. Fail-closed rules can be neither disabled nor lowered.

Example::

    [thresholds]
    block = "high"        # a finding at or above this blocks
    warn = "medium"       # at or above this warns

    [rules]
    disable = ["hidden-file"]
    [rules.severity]
    "remote-pipe-to-shell" = "high"

    [tiers]
    default = 2           # ceiling for sources not listed below

    [[sources]]
    id = "anthropics@skills/*"     # glob on the skill id; or source = "...", kind = "git"
    ceiling = 3

    [[signers]]
    id = "release-bot@example.test"  # a principal whose SSH signature verified (docs/signing.md)
    key = "ssh-ed25519 AAAA..."       # optional: the public key, as in git's allowed_signers
    ceiling = 3

    [signing]
    allowed_signers = "allowed_signers"  # optional: git's format, relative to this file
    require = false                      # true: an unsigned skill is blocked
    git = false                          # true: git sources need a signed commit or tag
    revoked = "revoked.krl"              # optional: an OpenSSH KRL or a list of fingerprints
    gpg_keys = ["release.asc"]           # optional: OpenPGP keys for GPG-signed commits/tags
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..provenance.gpgsig import load_keys
from ..provenance.revocation import RevocationError, load_revocation
from ..provenance.sshsig import AllowedSigners, SshSigError
from ..skill import Skill
from ..utf8 import NOT_TEXT, not_text_at
from .model import SEVERITIES, AuditError, Finding, severity_rank
from .rules import RuleSet

MAX_TIER = 3


class PolicyError(AuditError):
    """The policy file is missing, unreadable or says something invalid."""


@dataclass(frozen=True)
class SourceCeiling:
    ceiling: int
    id: str | None = None
    source: str | None = None
    kind: str | None = None

    def matches(self, skill: Skill) -> bool:
        prov = skill.provenance
        checks = [(self.id, skill.id), (self.source, prov.source), (self.kind, prov.kind)]
        return all(fnmatch.fnmatchcase(value, pattern) for pattern, value in checks
                   if pattern is not None)


@dataclass(frozen=True)
class Policy:
    block_at: str = "high"
    warn_at: str = "medium"
    disabled: frozenset[str] = frozenset()
    severity: dict[str, str] = field(default_factory=dict)
    default_ceiling: int = 2
    sources: tuple[SourceCeiling, ...] = ()
    signers: dict[str, int] = field(default_factory=dict)
    allowed_signers: AllowedSigners = field(default_factory=AllowedSigners)
    require_signature: bool = False
    require_git_signature: bool = False

    @property
    def digest(self) -> str:
        """What changes verdicts (tiers are computed on read and are not part of it)."""
        parts: list[Any] = [self.block_at, self.warn_at, sorted(self.disabled),
                            sorted(self.severity.items())]
        signers = self.allowed_signers
        if signers or signers.revoked or signers.gpg is not None or self.require_signature \
                or self.require_git_signature:
            parts += [list(signers.lines), self.require_signature, self.require_git_signature]
            if signers.revoked or signers.gpg is not None:
                parts.append(signers.cache_key)
        blob = json.dumps(parts)
        return hashlib.sha256(blob.encode()).hexdigest()

    def apply(self, findings: list[Finding]) -> list[Finding]:
        out = []
        for finding in findings:
            if finding.rule in self.disabled and not finding.fail_closed:
                continue
            wanted = self.severity.get(finding.rule)
            if wanted and not finding.fail_closed:
                finding = replace(finding, severity=wanted, note=f"policy sets {wanted}")
            out.append(finding)
        return out

    def verdict(self, findings: list[Finding]) -> str:
        block, warn = severity_rank(self.block_at), severity_rank(self.warn_at)
        worst = max((severity_rank(f.severity) for f in findings), default=-1)
        if any(f.fail_closed for f in findings) or worst >= block:
            return "block"
        return "warn" if worst >= warn else "allow"

    def ceiling(self, skill: Skill, signer: str | None = None) -> int:
        """The tier ceiling; ``signer`` is the principal of a *verified* signature only
        (``provenance.verify_skill``), never a claim read from the skill or its metadata."""
        found = [s.ceiling for s in self.sources if s.matches(skill)]
        if signer is not None and signer in self.signers:
            found.append(self.signers[signer])
        return max(found) if found else self.default_ceiling


def _severity(value: Any, where: str) -> str:
    if value not in SEVERITIES:
        raise PolicyError(f"policy {where}: {value!r} is not one of {', '.join(SEVERITIES)}")
    return str(value)


def _tier(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIER:
        raise PolicyError(f"policy {where}: ceiling must be a tier 0-{MAX_TIER}, got {value!r}")
    return value


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise PolicyError(f"policy [{key}] must be a table")
    return value


def policy_from_dict(data: dict[str, Any], rules: RuleSet, base: Path | None = None) -> Policy:
    """Validate a parsed policy document against the rule set (``base``: the folder relative
    paths in it are read from)."""
    unknown = set(data) - {"thresholds", "rules", "tiers", "sources", "signers", "signing"}
    if unknown:
        raise PolicyError(f"policy: unknown section(s) {', '.join(sorted(unknown))}")
    known = set(rules.rules) | {c.id for c in rules.combinations}
    fail_closed = {r.id for r in rules.rules.values() if r.fail_closed}
    thresholds = _table(data, "thresholds")
    block = _severity(thresholds.get("block", "high"), "thresholds.block")
    warn = _severity(thresholds.get("warn", "medium"), "thresholds.warn")
    if severity_rank(warn) > severity_rank(block):
        raise PolicyError("policy thresholds: warn must not be above block")
    section = _table(data, "rules")
    disable = section.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(r, str) for r in disable):
        raise PolicyError("policy rules.disable must be a list of rule ids")
    overrides = section.get("severity", {})
    if not isinstance(overrides, dict):
        raise PolicyError("policy [rules.severity] must be a table")
    for rule_id in [*disable, *overrides]:
        if rule_id not in known:
            raise PolicyError(f"policy: unknown rule {rule_id!r}")
        if rule_id in fail_closed:
            raise PolicyError(f"policy: rule {rule_id!r} is fail-closed and cannot be "
                              "disabled or re-rated")
    severity = {k: _severity(v, f"rules.severity.{k}") for k, v in overrides.items()}
    tiers = _table(data, "tiers")
    default = _tier(tiers.get("default", 2), "tiers.default")
    for key in ("sources", "signers"):
        if not isinstance(data.get(key, []), list):
            raise PolicyError(f"policy: {key} must be an array of tables ([[{key}]])")
    sources = []
    for number, item in enumerate(data.get("sources", []), start=1):
        if not isinstance(item, dict) or not ({"id", "source", "kind"} & set(item)):
            raise PolicyError(f"policy sources #{number}: needs id, source or kind")
        for key in ("id", "source", "kind"):
            if key in item and not isinstance(item[key], str):
                raise PolicyError(f"policy sources #{number}: {key} must be a string")
        sources.append(SourceCeiling(
            ceiling=_tier(item.get("ceiling"), f"sources #{number}"), id=item.get("id"),
            source=item.get("source"), kind=item.get("kind"),
        ))
    signers = {}
    for number, item in enumerate(data.get("signers", []), start=1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise PolicyError(f"policy signers #{number}: needs a string id")
        signers[item["id"]] = _tier(item.get("ceiling"), f"signers #{number}")
    allowed, require, git = _signing(data, base)
    return Policy(block, warn, frozenset(disable), severity, default, tuple(sources), signers,
                  allowed, require, git)


def _signing(data: dict[str, Any], base: Path | None) -> tuple[AllowedSigners, bool, bool]:
    """The allowed signers: each ``[[signers]]`` with a ``key``, plus ``[signing]``'s file."""
    lines = []
    for number, item in enumerate(data.get("signers", []), start=1):
        key = item.get("key")
        if key is None:
            continue
        if not isinstance(key, str) or "\n" in key or "," in item["id"] or " " in item["id"]:
            raise PolicyError(f"policy signers #{number}: key must be one 'type base64' string "
                              "and id one principal")
        lines.append(f"{item['id']} {key.strip()}")
    section = _table(data, "signing")
    known = {"allowed_signers", "require", "git", "revoked", "gpg_keys"}
    if set(section) - known:
        raise PolicyError(f"policy [signing]: only {', '.join(sorted(known))} are known")
    require, git = section.get("require", False), section.get("git", False)
    if not isinstance(require, bool) or not isinstance(git, bool):
        raise PolicyError("policy signing.require and signing.git must be true or false")
    try:
        allowed = AllowedSigners.parse("\n".join(lines), "policy signers")
        path = section.get("allowed_signers")
        if path is not None:
            if not isinstance(path, str):
                raise PolicyError("policy signing.allowed_signers must be a path")
            allowed = allowed + AllowedSigners.from_file((base or Path.cwd()) / path)
        revoked = section.get("revoked")
        if revoked is not None:
            if not isinstance(revoked, str):
                raise PolicyError("policy signing.revoked must be a path")
            allowed = allowed.with_revoked(load_revocation((base or Path.cwd()) / revoked))
        gpg = section.get("gpg_keys")
        if gpg is not None:
            paths = [gpg] if isinstance(gpg, str) else gpg
            if not isinstance(paths, list) or not paths or \
                    not all(isinstance(p, str) for p in paths):
                raise PolicyError("policy signing.gpg_keys must be a path or a list of paths")
            allowed = allowed.with_gpg(load_keys([(base or Path.cwd()) / p for p in paths]))
    except (SshSigError, RevocationError) as exc:
        raise PolicyError(f"policy: {exc}") from None
    return allowed, require, git


def load_policy(path: str | Path | None, rules: RuleSet) -> Policy:
    """The policy in ``path`` (TOML), or the defaults when None."""
    if path is None:
        return Policy()
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{target}: no such policy file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{target}: cannot read the policy ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{target}: not valid TOML ({exc})") from None
    except RecursionError:  # hostile nesting
        raise PolicyError(f"{target}: not a policy (TOML nested too deeply)") from None
    bad = not_text_at(data)  # a "\u0000" escape: no path or name holds one
    if bad is not None:
        raise PolicyError(f"{target}: {bad} {NOT_TEXT}")
    return policy_from_dict(data, rules, target.parent)
