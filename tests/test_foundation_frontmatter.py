"""SKILL.md frontmatter parsing: strict, lenient repairs, and property-based robustness."""

from __future__ import annotations

import string

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from skillyard import frontmatter as fm


def codes(result: fm.Frontmatter) -> set[str]:
    return {d.code for d in result.diagnostics}


def test_plain_frontmatter_parses() -> None:
    result = fm.parse("---\nname: a\ndescription: Does x.\n---\n# Body\n")
    assert result.ok and result.data == {"name": "a", "description": "Does x."}
    assert result.body == "# Body\n" and result.method == "yaml"


def test_unquoted_colon_is_requoted_leniently_and_rejected_strictly() -> None:
    text = "---\nname: a\ndescription: Use when: the user asks\n---\nbody\n"
    strict = fm.parse(text, strict=True)
    assert strict.data is None and "yaml-invalid" in codes(strict)
    lenient = fm.parse(text)
    assert lenient.data == {"name": "a", "description": "Use when: the user asks"}
    assert lenient.method == "yaml_requoted" and "yaml-requoted" in codes(lenient)


def test_continuation_lines_are_folded() -> None:
    text = "---\nname: a\ndescription: First part: here\n  and more: text\nlicense: MIT\n---\n"
    result = fm.parse(text)
    assert result.data["description"] == "First part: here and more: text"
    assert result.data["license"] == "MIT"


def test_missing_frontmatter() -> None:
    assert fm.parse("# Just a body\n", strict=True).data is None
    lenient = fm.parse("# Just a body\n")
    assert lenient.data == {} and "frontmatter-missing" in codes(lenient)


def test_unclosed_frontmatter_is_an_error() -> None:
    result = fm.parse("---\nname: a\n")
    assert result.data is None and "frontmatter-unclosed" in codes(result)


def test_non_mapping_frontmatter() -> None:
    result = fm.parse("---\n- a\n- b\n---\nbody")
    assert result.data is None and "frontmatter-not-mapping" in codes(result)


def test_fenced_file_and_bom() -> None:
    text = "\ufeff```skill\n---\nname: a\ndescription: d\n---\n# Body\n```\n"
    result = fm.parse(text)
    assert result.data == {"name": "a", "description": "d"}
    assert result.body == "# Body\n"
    assert {"bom", "frontmatter-fenced"} <= codes(result)


def test_dates_become_strings_and_unknown_keys_are_kept() -> None:
    result = fm.parse("---\nname: a\ndescription: d\ndate_added: 2024-01-02\nx: {y: 1}\n---\n")
    assert result.data["date_added"] == "2024-01-02"
    assert result.data["x"] == {"y": 1}


def test_regex_fallback_as_last_resort() -> None:
    text = "---\nname: a\ndescription: d\nbroken: [unclosed\n  - x: {\n---\nbody"
    result = fm.parse(text)
    assert result.data is not None and result.data["name"] == "a"
    assert result.method in ("regex", "yaml_requoted")


_text = st.text(alphabet=string.printable + "äöü—…中文\t", max_size=200)


@settings(max_examples=300, deadline=None)
@given(_text)
def test_parse_never_raises_on_any_text(text: str) -> None:
    for strict in (True, False):
        result = fm.parse(text, strict=strict)
        assert isinstance(result.body, str)
        assert result.data is None or isinstance(result.data, dict)


@settings(max_examples=300, deadline=None)
@given(_text, _text)
def test_parse_never_raises_inside_a_frontmatter_block(block: str, body: str) -> None:
    for strict in (True, False):
        result = fm.parse(f"---\n{block}\n---\n{body}", strict=strict)
        assert result.data is None or isinstance(result.data, dict)


_keys = st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True)
_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _values, min_size=1, max_size=6), _text)
def test_valid_yaml_round_trips(data: dict[str, str], body: str) -> None:
    block = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    result = fm.parse(f"---\n{block}---\n{body}", strict=True)
    assert result.data == data
    assert result.body == body


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
       st.text(alphabet=string.ascii_letters + " :,.-'", min_size=1, max_size=60))
def test_lenient_recovers_plain_description_with_colons(name: str, tail: str) -> None:
    description = "Use when: " + " ".join(tail.split())
    text = f"---\nname: {name}\ndescription: {description}\n---\nbody\n"
    result = fm.parse(text)
    assert result.data is not None
    assert result.data["description"] in (description, description.rstrip())
