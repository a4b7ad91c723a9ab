"""The config loader: YAML in, typed config out, or every mistake with its line and column."""

from __future__ import annotations

import pickle
import time
from textwrap import dedent

import pytest
import yaml

from bot.config import reader
from bot.config.checklists import ChecklistDef, When
from bot.config.issues import ConfigError, ConfigIssue
from bot.config.levels import Level, Severity
from bot.config.load import load_model, load_repo_config, parse_yaml
from bot.config.model import RepoConfig
from bot.config.reader import MAX_ALIASES
from bot.config.regex import RegexError, compile_pattern


def issues_in(text: str | bytes, model: type[RepoConfig | ChecklistDef] = RepoConfig) -> list[str]:
    """Each issue as `LINE:COL: PATH: MESSAGE`."""
    with pytest.raises(ConfigError) as caught:
        load_model(text, "test.yml", model)
    return [str(issue) for issue in caught.value.issues]


def only_issue(text: str | bytes) -> str:
    issues = issues_in(text)
    assert len(issues) == 1, issues
    return issues[0]


# --- validation errors, each at its place -----------------------------------------------------


def test_unknown_key_names_the_close_field_at_the_key() -> None:
    text = dedent("""\
        risk:
          weights:
            ai_shar: 5
        """)
    assert (
        only_issue(text)
        == "3:5: risk.weights.ai_shar: unknown key 'ai_shar'; did you mean 'ai_share'?"
    )


def test_unknown_key_without_a_close_field_lists_the_allowed_keys() -> None:
    assert (
        only_issue("check:\n  colour: red\n")
        == "2:3: check.colour: unknown key 'colour'; allowed keys: name, on_error, dry_run_pulls"
    )


def test_unknown_top_level_section() -> None:
    assert (
        only_issue("aproval:\n  seniors: [alice]\n")
        == "1:1: aproval: unknown key 'aproval'; did you mean 'approvals'?"
    )


def test_wrong_type_says_what_was_expected_and_what_was_given() -> None:
    assert (
        only_issue("detect:\n  labels: 5\n")
        == "2:11: detect.labels: expected a list of strings, got a number"
    )


def test_number_where_a_string_belongs_suggests_quotes() -> None:
    assert (
        only_issue("approvals:\n  seniors: [alice, 12345]\n")
        == "2:20: approvals.seniors[1]: expected a string, got a number; put it in quotes"
    )


def test_fraction_where_a_whole_number_belongs() -> None:
    assert (
        only_issue("risk:\n  weights:\n    size: 2.5\n")
        == "3:11: risk.weights.size: expected a whole number, got 2.5"
    )


def test_bad_enum_value_lists_the_choices() -> None:
    text = dedent("""\
        checklists:
          items:
            - checklist: security
              id: tls
              text: Is TLS verified?
              when: {min_level: severe}
        """)
    assert (
        only_issue(text)
        == "6:25: checklists.items[0].when.min_level: must be one of: low, medium, high, critical"
    )


def test_bad_literal_value_lists_the_choices() -> None:
    assert (
        only_issue("check:\n  on_error: ignore\n")
        == "2:13: check.on_error: must be one of: closed, open"
    )


def test_senior_that_is_neither_team_nor_login() -> None:
    assert (
        only_issue("approvals:\n  seniors: ['@acme/architects', 'not a login']\n")
        == "2:33: approvals.seniors[1]: must be a team (@org/team) or a GitHub login"
    )


def test_regex_with_look_behind_reports_re2s_reason() -> None:
    text = dedent("""\
        risk:
          patterns:
            rules:
              - id: eval-call
                message: eval on input
                pattern: '(?<=\\W)eval\\('
        """)
    with pytest.raises(RegexError) as refused:
        compile_pattern("(?<=\\W)eval\\(")
    assert only_issue(text) == f"6:18: risk.patterns.rules[0].pattern: {refused.value}"
    assert "look-around" in str(refused.value)


def test_bad_glob_reports_the_glob_error() -> None:
    text = dedent("""\
        risk:
          critical_paths:
            - paths: ["auth/**", "src/[abc"]
        """)
    assert only_issue(text) == "3:26: risk.critical_paths[0].paths[1]: unclosed '[' in '[abc'"


def test_value_out_of_range() -> None:
    assert (
        only_issue("risk:\n  weights:\n    patterns: 200\n")
        == "3:15: risk.weights.patterns: must be at most 100"
    )


def test_value_below_range() -> None:
    assert (
        only_issue("approvals:\n  required: {high: -1}\n")
        == "2:20: approvals.required.high: must be at least 0"
    )


def test_levels_not_ascending_is_reported_at_the_levels_mapping() -> None:
    text = dedent("""\
        risk:
          levels:
            medium: 60
            high: 50
        """)
    assert only_issue(text) == "3:5: risk.levels: thresholds must rise: medium < high < critical"


def test_missing_required_key_is_reported_at_its_mapping() -> None:
    text = dedent("""\
        risk:
          critical_paths:
            - name: payments
        """)
    assert only_issue(text) == "3:7: risk.critical_paths[0].paths: is required"


def test_empty_list_where_one_item_is_needed() -> None:
    assert (
        only_issue("risk:\n  critical_paths:\n    - paths: []\n")
        == "3:14: risk.critical_paths[0].paths: must not be empty"
    )


def test_model_check_message_has_no_pydantic_prefix() -> None:
    text = dedent("""\
        detect:
          authors:
            - tool: devin
        """)
    assert (
        only_issue(text)
        == "3:7: detect.authors[0]: an author signature needs at least one of logins, name, email"
    )


# --- unions: one message per mistake -----------------------------------------------------------


def test_when_given_a_string_gets_one_message() -> None:
    text = dedent("""\
        checklists:
          items:
            - checklist: security
              id: tls
              text: Is TLS verified?
              when: high
        """)
    assert (
        only_issue(text)
        == "6:13: checklists.items[0].when: expected a mapping or a list of mappings, got a string"
    )


def test_when_list_reports_inside_the_list_only() -> None:
    text = dedent("""\
        checklists:
          items:
            - checklist: security
              id: tls
              text: Is TLS verified?
              when: [{min_level: high}, {ai: maybe}, 3]
        """)
    assert issues_in(text) == [
        "6:38: checklists.items[0].when[1].ai: expected true or false, got a string",
        "6:46: checklists.items[0].when[2]: expected a mapping, got a number",
    ]


def test_when_mapping_reports_the_unknown_key_only() -> None:
    text = dedent("""\
        checklists:
          items:
            - checklist: security
              id: tls
              text: Is TLS verified?
              when:
                min_levl: high
        """)
    assert (
        only_issue(text) == "7:9: checklists.items[0].when.min_levl: unknown key 'min_levl'; "
        "did you mean 'min_level'?"
    )


def test_builtin_given_a_number_gets_one_message() -> None:
    assert (
        only_issue("checklists:\n  builtin: 3\n")
        == "2:12: checklists.builtin: expected true or false, or a list of strings, got a number"
    )


def test_builtin_list_reports_its_bad_item() -> None:
    assert only_issue("checklists:\n  builtin: [security, Tests]\n") == (
        "2:23: checklists.builtin[1]: must be an id: lowercase letters, digits, '.', '_' and "
        "'-', starting with a letter or digit, at most 64 characters"
    )


def test_require_given_another_word_gets_one_message() -> None:
    assert (
        only_issue("checklists:\n  require: every\n")
        == "2:12: checklists.require: expected a list of strings or 'all', got a string"
    )


# --- all at once -------------------------------------------------------------------------------


def test_three_mistakes_give_exactly_three_issues_in_line_order() -> None:
    text = dedent("""\
        approvals:
          seniors: ["@acme/architects", "bad login!"]
          required: {low: 0, medium: 1, high: 1, critical: 20}
        risk:
          weights: {ai_shar: 5}
        """)
    assert issues_in(text) == [
        "2:33: approvals.seniors[1]: must be a team (@org/team) or a GitHub login",
        "3:52: approvals.required.critical: must be at most 10",
        "5:13: risk.weights.ai_shar: unknown key 'ai_shar'; did you mean 'ai_share'?",
    ]


def test_duplicate_key_is_an_error_at_the_second_key() -> None:
    text = dedent("""\
        detect:
          labels: [ai-assisted]
          gate_all: true
          labels: [copilot]
        """)
    assert (
        only_issue(text)
        == "4:3: detect.labels: duplicate key 'labels' (first on line 2); each key may appear once"
    )


def test_duplicate_keys_are_reported_with_validation_errors() -> None:
    text = dedent("""\
        check:
          name: ai-review
          name: review
        risk:
          size: {lines: 0}
        """)
    assert issues_in(text) == [
        "3:3: check.name: duplicate key 'name' (first on line 2); each key may appear once",
        "5:17: risk.size.lines: must be at least 1",
    ]


def test_non_string_key_is_an_error() -> None:
    assert (
        only_issue("risk:\n  weights:\n    1: 5\n")
        == "3:5: risk.weights: keys must be strings, got a number; put the key in quotes"
    )


def test_merge_key_is_refused() -> None:
    text = dedent("""\
        approvals:
          required: {low: 0}
          <<: {seniors: [alice]}
        """)
    assert (
        only_issue(text)
        == "3:3: approvals: merge keys ('<<') are not supported; write the keys out"
    )


def test_hundreds_of_mistakes_are_cut_to_the_first_hundred_and_a_count() -> None:
    text = "".join(f"unknown{n}: 1\n" for n in range(150))
    issues = issues_in(text)
    assert len(issues) == 101
    assert issues[0].startswith("1:1: unknown0: unknown key 'unknown0'")
    assert issues[99].startswith("100:1: unknown99: unknown key 'unknown99'")
    assert issues[100] == "50 more problems after these"


# --- the file itself --------------------------------------------------------------------------


def test_syntax_error_reports_the_parsers_position() -> None:
    issue = only_issue("detect:\n  labels: [ai, copilot\ngate_all: true\n")
    assert issue.startswith("3:9: YAML syntax error: ")
    assert issue.endswith("(while parsing a flow sequence at line 2, column 11)")


def test_tab_indentation_is_named() -> None:
    assert (
        only_issue("detect:\n\tlabels: [x]\n")
        == "2:1: a tab character: YAML indents with spaces only"
    )


def test_document_that_is_a_list_is_refused() -> None:
    assert (
        only_issue("- detect\n- risk\n")
        == "1:1: the file must be a mapping of keys to values, got a list"
    )


def test_document_that_is_a_string_is_refused() -> None:
    assert (
        only_issue("just some words\n")
        == "1:1: the file must be a mapping of keys to values, got a string"
    )


def test_second_document_is_refused() -> None:
    assert (
        only_issue("check: {name: a}\n---\ncheck: {name: b}\n")
        == "2:1: a config file holds one YAML document; remove the '---'"
    )


def test_non_utf8_bytes_are_refused_at_the_byte() -> None:
    assert (
        only_issue(b"check:\n  name: caf\xe9\n")
        == "2:12: is not UTF-8 text (byte 0xe9); save the file as UTF-8"
    )


def test_control_character_is_refused_at_its_place() -> None:
    assert (
        only_issue("check:\n  name: a\x07b\n")
        == "2:10: the control character U+0007 is not allowed in YAML"
    )


def test_python_object_tag_is_refused() -> None:
    assert only_issue("check:\n  name: !!python/object/apply:os.system [id]\n") == (
        "2:9: the tag !!python/object/apply:os.system is not allowed: only strings, numbers, "
        "booleans, null, lists and mappings"
    )


def test_custom_scalar_tag_is_refused() -> None:
    assert only_issue("check:\n  name: !env NAME\n").startswith("2:9: the tag !env is not allowed")


def test_undefined_alias_is_refused() -> None:
    assert (
        only_issue("approvals:\n  seniors: *team\n")
        == "2:12: the alias *team has no anchor &team before it"
    )


def test_alias_inside_its_own_anchor_is_refused() -> None:
    assert (
        only_issue("detect: &loop\n  labels: *loop\n")
        == "2:11: the alias *loop is inside the value it refers to"
    )


# --- limits, refused fast ---------------------------------------------------------------------


def test_ten_megabyte_file_is_refused_before_parsing() -> None:
    text = b"check:\n  name: " + b"a" * (10 * 1024 * 1024) + b"\n"
    started = time.perf_counter()
    issue = only_issue(text)
    assert time.perf_counter() - started < 0.5
    assert issue == f"the file is {len(text):,} bytes; the limit is 262,144 bytes (256 KiB)"


def test_ten_megabyte_string_is_refused_before_parsing() -> None:
    started = time.perf_counter()
    issue = only_issue("x" * (10 * 1024 * 1024))
    assert time.perf_counter() - started < 0.5
    assert issue.startswith("the file is 10,485,760 bytes;")


def test_file_just_over_the_limit_in_utf8_bytes_is_refused() -> None:
    # About 100,000 characters but 300,000 bytes: the limit is on bytes.
    issue = only_issue("check:\n  name: " + "€" * 100_000 + "\n")
    assert issue.startswith("the file is 300,016 bytes;")


def test_alias_bomb_is_refused_fast() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    started = time.perf_counter()
    issue = only_issue("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 0.5
    # a4 alone expands to 66,430 values: the first alias to it, in a5, passes 100,000.
    assert issue == "6:10: aliases expand the document to more than 100,000 values"


def test_too_many_aliases_are_refused() -> None:
    text = "x: &x a\nlist: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n"
    assert only_issue(text) == f"2:{8 + 4 * MAX_ALIASES}: more than {MAX_ALIASES} aliases"


def test_deep_nesting_is_refused_fast() -> None:
    text = "a: " + "[" * 50_000 + "]" * 50_000 + "\n"
    started = time.perf_counter()
    issue = only_issue(text)
    assert time.perf_counter() - started < 0.5
    assert issue == "1:35: lists and mappings nest deeper than 32 levels"


def test_nesting_through_aliases_counts_too() -> None:
    deep = "[" * 20 + "]" * 20
    text = f"a: &deep {deep}\nb: [[[[[[[[[[[[[[[[*deep]]]]]]]]]]]]]]]]\n"
    assert only_issue(text) == "2:20: lists and mappings nest deeper than 32 levels"


def test_long_list_is_refused_while_parsing() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("items: [" + ", ".join(["1"] * 10_001) + "]\n", "data.yml")
    assert caught.value.issues == (
        ConfigIssue(1, 8 + 3 * 10_000 + 1, "", "a list may hold at most 10,000 items"),
    )


# --- the YAML that is accepted ----------------------------------------------------------------


def test_none_gives_the_defaults() -> None:
    assert load_repo_config(None) == RepoConfig()


def test_empty_file_gives_the_defaults() -> None:
    assert load_repo_config("") == RepoConfig()
    assert load_repo_config(b"") == RepoConfig()


def test_file_of_comments_gives_the_defaults() -> None:
    assert load_repo_config("# nothing configured yet\n---\n") == RepoConfig()


def test_byte_order_mark_is_accepted() -> None:
    assert load_repo_config("\ufeffcheck: {name: gate}\n".encode()).check.name == "gate"


def test_core_schema_keeps_yaml11_words_as_strings() -> None:
    parsed = parse_yaml(
        "a: yes\nb: on\nc: 2024-01-01\nd: 0o17\ne: 0x1F\nf: 1e3\ng: ~\nh: TRUE\ni: '12'\n"
        "j: 012\nk: -.inf\nl: !!str 5\nm: !!float 2\n",
        "data.yml",
    )
    assert parsed == {
        "a": "yes",
        "b": "on",
        "c": "2024-01-01",
        "d": 15,
        "e": 31,
        "f": 1000.0,
        "g": None,
        "h": True,
        "i": "12",
        "j": 12,
        "k": float("-inf"),
        "l": "5",
        "m": 2.0,
    }


def test_aliases_share_values_in_a_valid_config() -> None:
    text = dedent("""\
        risk:
          critical_paths:
            - paths: &auth ["auth/**", "**/login/**"]
            - paths: *auth
              owners: [alice]
        """)
    config = load_repo_config(text)
    assert [p.paths for p in config.risk.critical_paths] == [["auth/**", "**/login/**"]] * 2


def test_error_inside_an_aliased_value_points_at_the_anchored_text() -> None:
    text = dedent("""\
        risk:
          critical_paths:
            - paths: &auth ["auth/**", "src/[x"]
        """)
    assert only_issue(text) == "3:32: risk.critical_paths[0].paths[1]: unclosed '[' in '[x'"


@pytest.mark.parametrize("loader", ["libyaml", "pure"])
def test_both_parsers_read_the_same_config(loader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if loader == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    monkeypatch.setattr(
        reader, "_LOADER", yaml.CSafeLoader if loader == "libyaml" else yaml.SafeLoader
    )
    # libyaml and the pure parser mark plain scalars differently: 'true' must stay a string.
    text = "risk:\n  weights: {size: 20, ai_shar: 1}\ncheck: {name: 'true'}\n"
    assert issues_in(text) == [
        "2:23: risk.weights.ai_shar: unknown key 'ai_shar'; did you mean 'ai_share'?"
    ]
    assert (
        load_repo_config("check: {name: 'true'}\nrisk: {size: {lines: 10}}\n").risk.size.lines == 10
    )


FULL_CONFIG = dedent("""\
    detect:
      builtin: false
      disable: [copilot-trailer]
      labels: [ai-assisted, copilot]
      gate_all: true
      tools:
        - id: acme-bot
          name: Acme Bot
          match: 'acme[- ]?bot'
      trailers:
        - keys: [Generated-By]
          value: 'acme'
          tool: acme-bot
      authors:
        - tool: acme-bot
          logins: ["acme-bot[bot]"]
      branches:
        - prefix: acme/
          tool: acme-bot
      markers:
        - pattern: 'Generated with Acme'
          where: [body]
          tool: acme-bot
    risk:
      weights: {ai_share: 5, size: 5, complexity: 20, critical_paths: 30, missing_tests: 10,
                dependencies: 10, patterns: 20}
      levels: {medium: 20, high: 45, critical: 70}
      critical_paths:
        - name: payments
          paths: ["**/payments/**"]
          owners: ["@acme/payments"]
      builtin_critical_paths: false
      tests:
        paths: ["spec/**"]
        min_ratio: 0.5
      complexity: {function: 12, increase: 4, maintainability_drop: 7.5}
      patterns:
        disable: [B602, secrets]
        rules:
          - id: no-print
            message: print left in code
            severity: low
            pattern: '\\bprint\\('
            unless: '# noqa'
            paths: ["src/**"]
            languages: [python]
      size: {lines: 800, files: 30}
      limits:
        max_file_bytes: 65536
        skip: ["vendor/**"]
    approvals:
      seniors: ["@acme/architects", alice]
      required: {low: 0, medium: 1, high: 2, critical: 3}
      dismiss_on_push: false
      allow_contributors: true
      ignored_authors: ["dependabot[bot]"]
    checklists:
      builtin: [security, tests]
      disable: [security.tls]
      items:
        - checklist: security
          id: vault
          text: Are secrets read from Vault?
          when: {paths: ["deploy/**"]}
          required: true
      extra:
        - id: payments
          title: Payments
          when: [{min_level: high}, {signals: [critical_paths]}]
          items:
            - id: idempotency
              text: Is every charge idempotent?
              why: Retries double-charge otherwise.
      require: all
      max_items: 20
    check:
      name: architect-review
      on_error: open
    """)


def test_full_config_loads_into_typed_values() -> None:
    config = load_repo_config(FULL_CONFIG)

    assert config.detect.builtin is False
    assert config.detect.disable == ["copilot-trailer"]
    assert config.detect.labels == ["ai-assisted", "copilot"]
    assert config.detect.gate_all is True
    assert [(t.id, t.name, t.match) for t in config.detect.tools] == [
        ("acme-bot", "Acme Bot", "acme[- ]?bot")
    ]
    assert config.detect.trailers[0].keys == ["Generated-By"]
    assert config.detect.authors[0].logins == ["acme-bot[bot]"]
    assert config.detect.branches[0].prefix == "acme/"
    assert config.detect.markers[0].where == ["body"]

    risk = config.risk
    assert (risk.weights.complexity, risk.weights.patterns) == (20, 20)
    assert (risk.levels.medium, risk.levels.high, risk.levels.critical) == (20, 45, 70)
    assert risk.critical_paths[0].owners == ["@acme/payments"]
    assert risk.builtin_critical_paths is False
    assert (risk.tests.paths, risk.tests.min_ratio) == (["spec/**"], 0.5)
    assert risk.complexity.maintainability_drop == 7.5
    assert risk.patterns.disable == ["B602", "secrets"]
    rule = risk.patterns.rules[0]
    assert (rule.id, rule.severity, rule.pattern, rule.unless) == (
        "no-print",
        Severity.LOW,
        "\\bprint\\(",
        "# noqa",
    )
    assert (risk.size.lines, risk.size.files) == (800, 30)
    assert (risk.limits.max_file_bytes, risk.limits.skip) == (65536, ["vendor/**"])

    approvals = config.approvals
    assert approvals.seniors == ["@acme/architects", "alice"]
    assert approvals.required.for_level(Level.CRITICAL) == 3
    assert (approvals.dismiss_on_push, approvals.allow_contributors) == (False, True)
    assert approvals.ignored_authors == ["dependabot[bot]"]

    checklists = config.checklists
    assert checklists.builtin == ["security", "tests"]
    assert checklists.disable == ["security.tls"]
    assert checklists.items[0].when == When(paths=["deploy/**"])
    assert checklists.items[0].required is True
    assert checklists.extra[0].when == [
        When(min_level=Level.HIGH),
        When(signals=["critical_paths"]),
    ]
    assert checklists.extra[0].items[0].why == "Retries double-charge otherwise."
    assert (checklists.require, checklists.max_items) == ("all", 20)

    assert (config.check.name, config.check.on_error) == ("architect-review", "open")


# --- checklist files and rendering ------------------------------------------------------------


def test_checklist_file_error_is_reported_at_its_position() -> None:
    text = dedent("""\
        id: security
        title: Security
        items:
          - id: sql-params
            text: Are queries parameterized?
          - id: secrets
            text: Are secrets kept out of the code?
            when: {min_level: hgh}
        """)
    assert issues_in(text, ChecklistDef) == [
        "8:23: items[1].when.min_level: must be one of: low, medium, high, critical"
    ]


def test_checklist_file_missing_its_title() -> None:
    text = "id: security\nitems:\n  - {id: a, text: 'Is it safe?'}\n"
    assert issues_in(text, ChecklistDef) == ["1:1: title: is required"]


def test_valid_checklist_file_loads() -> None:
    text = "id: security\ntitle: Security\nitems:\n  - {id: a, text: 'Is it safe?'}\n"
    checklist = load_model(text, "checklists/security.yml", ChecklistDef)
    assert (checklist.id, checklist.items[0].text) == ("security", "Is it safe?")


def test_render_prefixes_every_issue_with_the_file() -> None:
    with pytest.raises(ConfigError) as caught:
        load_repo_config("check:\n  colour: red\n  on_error: never\n")
    assert caught.value.source == ".github/ai-review.yml"
    assert caught.value.render() == (
        ".github/ai-review.yml:2:3: check.colour: unknown key 'colour'; allowed keys: name, "
        "on_error, dry_run_pulls\n"
        ".github/ai-review.yml:3:13: check.on_error: must be one of: closed, open"
    )
    assert str(caught.value) == caught.value.render()


def test_issue_without_position_or_path_renders_the_message_alone() -> None:
    error = ConfigError("big.yml", [ConfigIssue(None, None, "", "the file is too large")])
    assert error.render() == "big.yml: the file is too large"


def test_key_that_is_not_a_plain_word_is_quoted_in_the_path() -> None:
    assert only_issue('risk:\n  "weights.size": 5\n').startswith("2:3: risk['weights.size']: ")


def test_config_error_survives_pickling_with_its_issues() -> None:
    with pytest.raises(ConfigError) as caught:
        load_repo_config("check:\n  colour: red\n")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.source, copy.issues) == (caught.value.source, caught.value.issues)


@pytest.mark.parametrize("loader", ["libyaml", "pure"])
@pytest.mark.parametrize("levels", [33, 999, 1_001, 5_000])
def test_nesting_past_the_bound_gets_the_house_message_whatever_the_parser_does(
    loader: str, levels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # libyaml 0.2.5 (PyYAML 6.0.4's wheels) stops at 1,000 levels while scanning ahead, before
    # the builder sees level 33; earlier wheels let the builder stop it. Either way the file is
    # refused with the reader's own message, at the brace that opens level 33.
    monkeypatch.setattr(
        reader, "_LOADER", yaml.CSafeLoader if loader == "libyaml" else yaml.SafeLoader
    )
    text = "risk:\n  weights: " + "{x: " * levels + "1" + "}" * levels + "\n"
    assert only_issue(text) == "2:132: lists and mappings nest deeper than 32 levels"
