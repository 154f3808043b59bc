"""Parse JavaScript/TypeScript with tree-sitter (grammars ship compiled in the PyPI wheels).

Parsers are built once per process; trees are cached by the source's hash (a skill often
repeats one script in a code block and a file). Hostile input is bounded: text past
``MAX_CHARS`` is not parsed, and a tree nested deeper than ``MAX_DEPTH`` or larger than
``MAX_NODES`` (a parse bomb) raises ``JsParseBomb``, which the caller turns into a fail-closed
finding.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import lru_cache

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

from .flow import AnalyzerBudget

MAX_CHARS = 512 * 1024
MAX_DEPTH = 400
MAX_NODES = 400_000
_CACHE_SIZE = 64
_FLAT = frozenset({"binary_expression"})
_cache: OrderedDict[str, tree_sitter.Tree] = OrderedDict()


class JsParseBomb(AnalyzerBudget):
    """The source parses into a tree too deep or too large to analyse safely."""


@lru_cache(maxsize=4)
def _parser(dialect: str) -> tree_sitter.Parser:
    if dialect == "typescript":
        language = tree_sitter_typescript.language_typescript()
    elif dialect == "tsx":
        language = tree_sitter_typescript.language_tsx()
    else:
        language = tree_sitter_javascript.language()
    return tree_sitter.Parser(tree_sitter.Language(language))


def dialect_of(path: str) -> str:
    """The grammar for a file name: TypeScript for .ts/.mts/.cts, TSX for .tsx, else JS."""
    lower = path.lower()
    if lower.endswith(".tsx"):
        return "tsx"
    if lower.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"


def _errors(tree: tree_sitter.Tree) -> bool:
    return tree.root_node.has_error


def _check(tree: tree_sitter.Tree) -> None:
    """Iterative depth and size check (the analyzers recurse; they must never blow the stack)."""
    cursor = tree.walk()
    depth = nodes = 0
    counted: list[bool] = []  # long a + b + c chains are walked iteratively: not nesting
    while True:
        nodes += 1
        if nodes > MAX_NODES:
            raise JsParseBomb(f"more than {MAX_NODES} syntax nodes")
        if cursor.goto_first_child():
            flat = cursor.node is not None and cursor.node.type in _FLAT
            counted.append(not flat)
            depth += not flat
            if depth > MAX_DEPTH:
                raise JsParseBomb(f"syntax nested deeper than {MAX_DEPTH}")
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
            depth -= counted.pop()
        if counted:  # a sibling replaces the node this level counted
            depth -= counted.pop()
            flat = cursor.node is not None and cursor.node.type in _FLAT
            counted.append(not flat)
            depth += not flat


def parse_js(text: str, path: str = "") -> tree_sitter.Tree:
    """The syntax tree of ``text`` (first ``MAX_CHARS`` characters). When the file name does
    not say (a code block), JavaScript is tried first and TypeScript if JavaScript fails."""
    source = text[:MAX_CHARS].encode("utf-8", "surrogatepass")
    dialect = dialect_of(path)
    key = hashlib.blake2b(source, digest_size=16).hexdigest() + dialect
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    tree = _parser(dialect).parse(source)
    if dialect == "javascript" and _errors(tree):
        other = _parser("typescript").parse(source)
        if not _errors(other):
            tree = other
    _check(tree)
    _cache[key] = tree
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return tree
