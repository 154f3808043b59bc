"""Small helpers over tree-sitter JavaScript/TypeScript nodes shared by the JS analyzers."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from .flow import Taint

# Wrappers whose value is their (only) inner expression.
TRANSPARENT = frozenset({"parenthesized_expression", "await_expression", "as_expression",
                         "satisfies_expression", "non_null_expression", "type_assertion",
                         "spread_element", "yield_expression"})
FUNCTIONS = frozenset({"function_declaration", "function_expression", "arrow_function",
                       "function", "generator_function_declaration", "generator_function",
                       "method_definition"})


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def line(node: Node) -> int:
    return node.start_point[0] + 1


def unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type in TRANSPARENT:
        node = next((c for c in node.named_children if c.type != "comment"), None)
    return node


def string_value(node: Node | None) -> str | None:
    """The value of a string literal or a template without substitutions."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        return "".join(text(c) for c in node.named_children
                       if c.type in ("string_fragment", "escape_sequence"))
    if node.type == "template_string" and not any(
            c.type == "template_substitution" for c in node.named_children):
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    return None


def dotted(node: Node | None) -> str:
    """``a.b.c`` for a member chain of identifiers (``a['b']`` too), else ''."""
    node = unwrap(node)
    if node is None:
        return ""
    if node.type in ("identifier", "this", "property_identifier", "shorthand_property_identifier"):
        return text(node)
    if node.type == "member_expression":
        obj = dotted(node.child_by_field_name("object"))
        prop = text(node.child_by_field_name("property"))
        return f"{obj}.{prop}" if obj and prop else ""
    if node.type == "subscript_expression":
        obj = dotted(node.child_by_field_name("object"))
        key = string_value(node.child_by_field_name("index"))
        return f"{obj}.{key}" if obj and key else ""
    return ""


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    if args.type == "template_string":  # tagged template: tag`...`
        return [args]
    return [c for c in args.named_children if c.type != "comment"]


def pairs(obj: Node) -> Iterator[tuple[str, Node]]:
    """(key, value) of an object literal; shorthand ``{a}`` gives ('a', identifier)."""
    for child in obj.named_children:
        if child.type == "pair":
            key = child.child_by_field_name("key")
            value = child.child_by_field_name("value")
            name = string_value(key) if key is not None and key.type == "string" else text(key)
            if value is not None:
                yield name, value
        elif child.type == "shorthand_property_identifier":
            yield text(child), child


def params(func: Node) -> list[Node]:
    """The parameter patterns of a function, arrow function or method."""
    single = func.child_by_field_name("parameter")
    if single is not None:
        return [single]
    plist = func.child_by_field_name("parameters")
    if plist is None:
        return []
    out = []
    for p in plist.named_children:
        if p.type in ("required_parameter", "optional_parameter"):
            p = p.child_by_field_name("pattern") or p
        if p.type == "assignment_pattern":
            p = p.child_by_field_name("left") or p
        out.append(p)
    return out


def pattern_names(pattern: Node | None) -> Iterator[tuple[str, str]]:
    """(bound name, the property it came from or '') for a binding pattern."""
    if pattern is None:
        return
    kind = pattern.type
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        yield text(pattern), (text(pattern) if kind.startswith("shorthand") else "")
    elif kind == "object_pattern":
        for child in pattern.named_children:
            if child.type == "shorthand_property_identifier_pattern":
                yield text(child), text(child)
            elif child.type == "pair_pattern":
                key = child.child_by_field_name("key")
                keyname = string_value(key) if key is not None and key.type == "string" \
                    else text(key)
                for name, _ in pattern_names(child.child_by_field_name("value")):
                    yield name, keyname or ""
            elif child.type == "object_assignment_pattern":
                for name, prop in pattern_names(child.child_by_field_name("left")):
                    yield name, prop
            elif child.type == "rest_pattern":
                for name, _ in pattern_names(child.named_children[0] if child.named_children
                                             else None):
                    yield name, ""
    elif kind in ("array_pattern", "rest_pattern"):
        for child in pattern.named_children:
            for name, _ in pattern_names(child):
                yield name, ""
    elif kind == "assignment_pattern":
        yield from pattern_names(pattern.child_by_field_name("left"))
    elif kind in ("required_parameter", "optional_parameter"):
        yield from pattern_names(pattern.child_by_field_name("pattern"))


def operands(node: Node) -> list[Node]:
    """The operands of a left-nested chain ``a + b + c`` without recursion."""
    out: list[Node] = []
    while node.type == "binary_expression":
        right = node.child_by_field_name("right")
        if right is not None:
            out.append(right)
        left = node.child_by_field_name("left")
        if left is None:
            break
        node = unwrap(left) or left
    if node.type != "binary_expression":
        out.append(node)
    return out[::-1]


class Scope:
    """Variables (taint) and constant strings of one function or block."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.vars: dict[str, Taint | None] = {}
        self.consts: dict[str, str] = {}

    def find(self, name: str) -> Scope | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars or name in scope.consts:
                return scope
            scope = scope.parent
        return None

    def get(self, name: str) -> Taint | None:
        found = self.find(name)
        return found.vars.get(name) if found else None

    def const(self, name: str) -> str | None:
        found = self.find(name)
        return found.consts.get(name) if found else None

    def set(self, name: str, taint: Taint | None, declare: bool) -> None:
        target = self if declare else (self.find(name) or self)
        target.vars[name] = taint
