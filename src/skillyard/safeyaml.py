"""A YAML loader for untrusted text: plain values only, bounded before anything is built.

PyYAML's safe loader still expands aliases into shared objects that later copies multiply (a few
hundred bytes of nested anchors become gigabytes), recurses on deep nesting, and turns a typed tag
on garbage (``!!int abc``) into a Python exception. This loader reads the *event* stream (libyaml's
parser keeps its own stack, no recursion) and builds values itself, checking as it goes:

- size of the text (``max_bytes``) before parsing;
- nesting depth (``max_depth``) before a collection is opened;
- alias count (``max_aliases``) and the *expanded* size of every collection (``max_nodes``): each
  finished node knows how many nodes it stands for once aliases are expanded, so an alias bomb is
  refused after reading its first few levels, whatever its depth;
- an alias to an anchor that is still open (a recursive structure) is refused;
- explicit tags are refused, except ``!!str``/``!!seq``/``!!map`` which change nothing.

What comes out is JSON-safe: str, int, float, bool, None, list and dict with string keys.
Timestamps stay text (ISO form), ``.nan``/``.inf`` stay text, and an int too long for Python's
digit limit stays text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

try:  # libyaml is ~10x faster; PyYAML wheels ship it.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure-python fallback
    _Loader = yaml.SafeLoader

MAX_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_ALIASES = 100
MAX_NODES = 10_000

_TAG = "tag:yaml.org,2002:"
_HARMLESS_TAGS = {f"{_TAG}str", f"{_TAG}seq", f"{_TAG}map"}
_resolver = Resolver()
# first characters of the implicit types (null, bool, int, float, timestamp, merge, value)
_TYPED_START = frozenset(k for k in Resolver.yaml_implicit_resolvers if k is not None)
_constructor = SafeConstructor()


class UnsafeYAMLError(yaml.YAMLError):
    """The text is YAML, but not a kind a loader of untrusted input may build."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class _Open:
    """A collection being read: its value, anchor, expanded size and a pending mapping key."""

    value: list[Any] | dict[str, Any]
    anchor: str | None
    size: int = 1
    key: str | None = None
    has_key: bool = False


@dataclass
class _State:
    max_nodes: int
    stack: list[_Open] = field(default_factory=list)
    anchors: dict[str, tuple[Any, int, str | None]] = field(default_factory=dict)
    open_anchors: set[str] = field(default_factory=set)
    result: Any = None


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


def _check_tag(tag: str | None, line: int) -> None:
    if tag is None or tag in _HARMLESS_TAGS:
        return
    raise UnsafeYAMLError(
        "yaml-tag", f"line {line}: the YAML tag {_short_tag(tag)!r} is not allowed; frontmatter "
        "holds plain values only (text, numbers, true/false, null, lists, maps)"
    )


def _scalar(event: yaml.ScalarEvent) -> Any:
    """The plain value of a scalar, as the YAML 1.1 core schema resolves it."""
    value = event.value
    if event.tag is not None or not event.implicit[0] or (value and value[0] not in _TYPED_START):
        return value  # quoted, block, !!str, or a plain scalar no implicit type starts like
    tag = _resolver.resolve(ScalarNode, value, (True, False))
    kind = tag[len(_TAG):] if tag.startswith(_TAG) else "str"
    node = ScalarNode(tag, event.value)
    try:
        if kind == "null":
            return None
        if kind == "bool":
            return _constructor.construct_yaml_bool(node)
        if kind == "int":
            return _constructor.construct_yaml_int(node)
        if kind == "float":
            number = _constructor.construct_yaml_float(node)
            return number if math.isfinite(number) else event.value
        if kind == "timestamp":
            return _constructor.construct_yaml_timestamp(node).isoformat()
    except (ValueError, TypeError, OverflowError, yaml.YAMLError):
        return event.value
    return event.value  # str, merge ("<<"), value ("=")


def _add(state: _State, value: Any, size: int, raw: str | None, line: int) -> None:
    """Attach a finished value to its parent (or make it the document)."""
    if not state.stack:
        state.result = value
        return
    parent = state.stack[-1]
    parent.size += size
    if parent.size > state.max_nodes:
        raise UnsafeYAMLError(
            "yaml-too-big", f"line {line}: the YAML expands to more than {state.max_nodes} "
            "values (an alias bomb?)"
        )
    if isinstance(parent.value, list):
        parent.value.append(value)
    elif not parent.has_key:
        if raw is None:
            raise UnsafeYAMLError(
                "yaml-key", f"line {line}: a mapping key must be a plain value, not a list or map"
            )
        parent.key, parent.has_key = raw, True
    else:
        parent.value[str(parent.key)] = value
        parent.key, parent.has_key = None, False


def load(
    text: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_aliases: int = MAX_ALIASES,
    max_nodes: int = MAX_NODES,
) -> Any:
    """Load one YAML document of plain values; raise yaml.YAMLError (UnsafeYAMLError) if not."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise UnsafeYAMLError(
            "yaml-unicode", f"the YAML holds an invalid character at offset {exc.start}"
        ) from None
    if size > max_bytes:
        raise UnsafeYAMLError(
            "yaml-too-large", f"the YAML block is {size} bytes; at most {max_bytes}"
        )
    state = _State(max_nodes=max_nodes)
    aliases = documents = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.ScalarEvent):
            _check_tag(event.tag, line)
            value = _scalar(event)
            # as a key: the text of a string, str() of anything else (True -> "True")
            key = event.value if isinstance(value, str) else str(value)
            if event.anchor is not None:
                state.anchors[event.anchor] = (value, 1, key)
            _add(state, value, 1, key, line)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            _check_tag(event.tag, line)
            if len(state.stack) >= max_depth:
                raise UnsafeYAMLError(
                    "yaml-too-deep", f"line {line}: the YAML nests deeper than {max_depth} levels"
                )
            container: list[Any] | dict[str, Any] = (
                [] if isinstance(event, yaml.SequenceStartEvent) else {}
            )
            if event.anchor is not None:
                state.open_anchors.add(event.anchor)
            state.stack.append(_Open(container, event.anchor))
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            done = state.stack.pop()
            if done.anchor is not None:
                state.open_anchors.discard(done.anchor)
                state.anchors[done.anchor] = (done.value, done.size, None)
            _add(state, done.value, done.size, None, line)
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > max_aliases:
                raise UnsafeYAMLError(
                    "yaml-aliases", f"line {line}: more than {max_aliases} YAML aliases"
                )
            name = event.anchor
            if name in state.open_anchors:
                raise UnsafeYAMLError(
                    "yaml-recursive", f"line {line}: the alias *{name} refers to a structure that "
                    "contains it (a recursive alias)"
                )
            if name not in state.anchors:
                raise UnsafeYAMLError(
                    "yaml-alias", f"line {line}: the alias *{name} is not defined"
                )
            value, count, raw = state.anchors[name]
            _add(state, value, count, raw, line)
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise UnsafeYAMLError("yaml-documents", f"line {line}: more than one YAML document")
    return state.result
