"""The YAML loader for untrusted frontmatter: plain values only, bounded before it builds."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from skillyard import frontmatter as fm
from skillyard import safeyaml


def _md(extra: str) -> str:
    return f"---\nname: x\ndescription: d\n{extra}\n---\nbody\n"


@pytest.mark.parametrize("tag", ["!!int", "!!float", "!!bool", "!!timestamp", "!!binary",
                                 "!!python/object:os.system", "!custom"])
@pytest.mark.parametrize("strict", [True, False])
def test_typed_tags_are_refused_with_one_error(tag: str, strict: bool) -> None:
    parsed = fm.parse(_md(f"meta: {tag} abc"), strict=strict)
    assert parsed.data is None
    assert [d.code for d in parsed.diagnostics if d.level == "error"] == ["yaml-tag"]
    assert tag.lstrip("!").split(":")[0] in parsed.diagnostics[-1].message


def test_str_tag_changes_nothing_and_is_kept() -> None:
    assert fm.parse(_md("version: !!str 5")).data["version"] == "5"


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("text", ["meta: &a [*a]", "meta: &a {k: *a}", "m: &a [1, [2, *a]]"])
def test_recursive_alias_is_refused(text: str, strict: bool) -> None:
    parsed = fm.parse(_md(text), strict=strict)
    assert parsed.data is None
    assert parsed.diagnostics[-1].code == "yaml-recursive"


def _bomb(levels: int, width: int = 9) -> str:
    lines = ["---", "name: bomb", "description: a",
             "a0: &a0 [" + ",".join(['"x"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines + ["---", "body", ""])


@pytest.mark.parametrize("levels", [5, 9, 40])
def test_alias_bomb_of_any_depth_is_refused_quickly_and_small(levels: int) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    parsed = fm.parse(_bomb(levels))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert parsed.data is None
    assert parsed.diagnostics[-1].code in ("yaml-too-big", "yaml-aliases")
    # generous bounds: the point is "not minutes and gigabytes" (the old loader took 25 s, 700 MB)
    assert elapsed < 5 and peak < 50_000_000


def test_small_shared_aliases_still_load() -> None:
    data = fm.parse(_md("base: &b {k: v}\nuse: *b\nlist: [*b, *b]")).data
    assert data["use"] == {"k": "v"} and data["list"] == [{"k": "v"}, {"k": "v"}]


def test_alias_count_budget() -> None:
    text = "a: &a x\nl: [" + ",".join(["*a"] * 150) + "]"
    with pytest.raises(safeyaml.UnsafeYAMLError) as info:
        safeyaml.load(text)
    assert info.value.code == "yaml-aliases"


def test_depth_limit_before_building() -> None:
    deep = "x:\n" + "".join("  " * i + "- \n" for i in range(1, 60))
    with pytest.raises(safeyaml.UnsafeYAMLError) as info:
        safeyaml.load(deep)
    assert info.value.code == "yaml-too-deep"
    nested = safeyaml.load("x: " + "[" * 20 + "]" * 20)["x"]
    for _ in range(19):
        nested = nested[0]
    assert nested == []


def test_frontmatter_size_limit() -> None:
    parsed = fm.parse(_md("pad: " + "a" * (safeyaml.MAX_BYTES + 10)))
    assert parsed.data is None and parsed.diagnostics[-1].code == "yaml-too-large"


@pytest.mark.parametrize(("text", "expected"), [
    ("d: 2024-13-45", "2024-13-45"),            # looks like a timestamp, is not one
    ("d: 2024-01-02", "2024-01-02"),
    ("n: 0x1F", 31),
    ("f: .nan", ".nan"),                        # not JSON: kept as text
    ("b: yes", True),
    ("z: ~", None),
    ("big: " + "9" * 5000, "9" * 5000),         # over Python's int digit limit: text
])
def test_plain_values_are_json_safe(text: str, expected: object) -> None:
    assert next(iter(safeyaml.load(text).values())) == expected


@pytest.mark.parametrize("text", ["? [a]\n: b", "? {a: 1}\n: b"])
def test_collection_keys_are_refused(text: str) -> None:
    with pytest.raises(safeyaml.UnsafeYAMLError):
        safeyaml.load(text)


def test_several_documents_and_undefined_alias_are_yaml_errors() -> None:
    with pytest.raises(safeyaml.UnsafeYAMLError):
        safeyaml.load("a: 1\n--- \nb: 2\n")
    with pytest.raises(Exception) as info:
        safeyaml.load("a: *nowhere")
    assert isinstance(info.value, safeyaml.yaml.YAMLError)


def test_lone_surrogate_is_an_error_not_a_crash() -> None:
    parsed = fm.parse("---\nname: a\ndescription: \ud800\n---\n")
    assert parsed.data is None and parsed.diagnostics[-1].code == "yaml-unicode"
