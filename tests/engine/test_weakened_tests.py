"""Weakened tests (bot/data/weakened.yml): a skip or an expected failure with no condition, a
focused test, an assertion that cannot fail, assertions removed from a test; and what they do to
the `missing_tests` signal. Each rule has a true case and a look-alike per language, through
`ai-review-bot analyze` on a repository built in the test: the base on `main`, the change on a
branch."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from bot.engine.patterns.weakened import rule_ids, weakened_table
from tests.conftest import CliResult, Repo

Cli = Callable[..., CliResult]
RULES = rule_ids()


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def analyze(
    repo: Repo, cli: Cli, before: Mapping[str, str], after: Mapping[str, str]
) -> dict[str, Any]:
    if before:
        repo.commit("Base", {name: code(text) for name, text in before.items()})
    repo.branch("feature/change")
    repo.commit("Change", {name: code(text) for name, text in after.items()})
    result = cli("analyze", "--repo", str(repo.path), "--base", "main", "--format", "json")
    assert result.code == 0, result.err
    report: dict[str, Any] = result.json()
    return report


def signal(report: dict[str, Any], signal_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in report["risk"]["signals"] if s["id"] == signal_id)
    return found


def weakened(report: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(path, line, rule) of the weakened-test findings."""
    return [
        (loc["path"], loc["line"], loc["rule"])
        for loc in signal(report, "patterns")["locations"]
        if loc.get("rule") in RULES
    ]


PY_TEST = """
def test_total():
    assert total([1, 2]) == 3
"""

# (rule, path, base text or None, head text, line of the finding)
FIRES = [
    (
        "test-skipped",
        "tests/test_cart.py",
        PY_TEST,
        """
        import pytest


        @pytest.mark.skip(reason="flaky on CI")
        def test_total():
            assert total([1, 2]) == 3
        """,
        4,
    ),
    (
        "test-skipped",
        "tests/test_cart.py",
        PY_TEST,
        """
        import pytest


        @pytest.mark.xfail(reason="rounding changed")
        def test_total():
            assert total([1, 2]) == 3
        """,
        4,
    ),
    (
        "test-skipped",
        "tests/test_cart.py",
        PY_TEST,
        """
        import pytest


        def test_total():
            pytest.skip("broken since the refactor")
            assert total([1, 2]) == 3
        """,
        5,
    ),
    (
        "test-skipped",
        "tests/test_cart.py",
        None,
        """
        import unittest


        class CartTest(unittest.TestCase):
            @unittest.skip("later")
            def test_total(self):
                self.assertEqual(total([1, 2]), 3)
        """,
        5,
    ),
    (
        "test-skipped",
        "tests/test_cart.py",
        PY_TEST,
        """
        import unittest


        def test_total():
            raise unittest.SkipTest("until the new pricing lands")
            assert total([1, 2]) == 3
        """,
        5,
    ),
    (
        "test-skipped",
        "tests/test_cart.py",
        PY_TEST,
        'import pytest\n\npytest.skip("broken", allow_module_level=True)\n' + PY_TEST,
        3,
    ),
    (
        "test-skipped",
        "web/cart.test.js",
        "it('adds', () => { expect(add(1, 2)).toBe(3) })\n",
        "it.skip('adds', () => { expect(add(1, 2)).toBe(3) })\n",
        1,
    ),
    (
        "test-skipped",
        "web/cart.spec.ts",
        None,
        """
        describe('cart', () => {
          xit('adds', () => {
            expect(add(1, 2)).toBe(3)
          })
        })
        """,
        2,
    ),
    (
        "test-skipped",
        "cart/cart_test.go",
        None,
        """
        package cart

        func TestTotal(t *testing.T) {
            t.Skip("flaky")
            if Total(1, 2) != 3 {
                t.Errorf("wrong total")
            }
        }
        """,
        4,
    ),
    (
        "test-skipped",
        "src/test/java/shop/CartTest.java",
        None,
        """
        class CartTest {
          @Disabled("flaky")
          @Test
          void total() { assertEquals(3, Cart.total(1, 2)); }
        }
        """,
        2,
    ),
    (
        "test-focused",
        "web/cart.test.js",
        "describe('cart', () => { it('adds', () => { expect(add(1, 2)).toBe(3) }) })\n",
        "describe.only('cart', () => { it('adds', () => { expect(add(1, 2)).toBe(3) }) })\n",
        1,
    ),
    (
        "test-focused",
        "web/cart.spec.ts",
        None,
        """
        it.only('adds', () => {
          expect(add(1, 2)).toBe(3)
        })
        """,
        1,
    ),
    (
        "test-tautology",
        "tests/test_cart.py",
        PY_TEST,
        """
        def test_total():
            assert total([1, 2]) == 3


        def test_discount():
            apply_discount()
            assert True
        """,
        7,
    ),
    (
        "test-tautology",
        "tests/test_cart.py",
        None,
        """
        import unittest


        class CartTest(unittest.TestCase):
            def test_total(self):
                self.assertTrue(True)
        """,
        6,
    ),
    (
        "test-tautology",
        "web/cart.test.ts",
        None,
        "test('adds', () => {\n  add(1, 2)\n  expect(true).toBe(true)\n})\n",
        3,
    ),
    (
        "test-tautology",
        "cart/cart_test.go",
        None,
        """
        package cart

        func TestTotal(t *testing.T) {
            Total(1, 2)
            assert.True(t, true)
        }
        """,
        5,
    ),
    (
        "test-tautology",
        "src/test/java/shop/CartTest.java",
        None,
        "class CartTest {\n  @Test\n  void total() { Cart.total(1, 2); assertTrue(true); }\n}\n",
        3,
    ),
    (
        "test-tautology",
        "tests/test_upload.py",
        None,
        """
        def test_too_large():
            try:
                upload(b"x" * 2**21)
                AssertionError("expected a RequestTooLarge")
            except RequestTooLarge:
                pass
        """,
        4,
    ),
    (
        "test-tautology",
        "src/test/java/shop/ClientTest.java",
        None,
        "class ClientTest {\n  @Test\n  void hello() {\n    assert true;\n  }\n}\n",
        4,
    ),
    (
        "assertions-removed",
        "tests/test_cart.py",
        """
        def test_total():
            result = total([1, 2])
            assert result == 3
            assert result.currency == "EUR"
        """,
        """
        def test_total():
            result = total([1, 2])
            assert result == 3
        """,
        1,
    ),
    (
        "assertions-removed",
        "web/cart.test.js",
        """
        it('adds', () => {
          const sum = add(1, 2)
          expect(sum).toBe(3)
        })
        """,
        """
        it('adds', () => {
          const sum = add(1, 2)
          console.log(sum)
        })
        """,
        1,
    ),
]


@pytest.mark.parametrize(
    ("rule", "path", "before", "after", "line"),
    FIRES,
    ids=[f"{rule}-{path.rsplit('.', 1)[1]}-{i}" for i, (rule, path, *_) in enumerate(FIRES)],
)
def test_rule_fires(
    repo: Repo, cli: Cli, rule: str, path: str, before: str | None, after: str, line: int
) -> None:
    report = analyze(repo, cli, {path: before} if before else {}, {path: after})

    assert (path, line, rule) in weakened(report)


TWO_ASSERTIONS = (
    "def test_total():\n    r = total([1, 2])\n"
    "    assert r.amount == 3\n    assert r.cur == 'EUR'\n"
)

# (path, base text or None, head text): nothing weakened.
LOOK_ALIKES = [
    # a skip on a condition the suite states: a platform, an optional dependency, an environment
    (
        "tests/test_cart.py",
        PY_TEST,
        """
        import sys

        import pytest


        @pytest.mark.skipif(sys.platform == "win32", reason="needs fork()")
        def test_total():
            assert total([1, 2]) == 3
        """,
    ),
    (
        "tests/test_cart.py",
        PY_TEST,
        """
        import pytest

        numpy = pytest.importorskip("numpy")


        def test_total():
            if not HAS_DB:
                pytest.skip("no database")
            assert total([1, 2]) == 3
        """,
    ),
    (
        "tests/test_cart.py",
        PY_TEST,
        """
        import sys

        import pytest


        @pytest.mark.xfail(sys.version_info < (3, 12), reason="old float repr")
        def test_total():
            assert total([1, 2]) == 3
        """,
    ),
    (
        "tests/test_cart.py",
        PY_TEST,
        "import sys\n\nimport pytest\n\nif sys.platform == 'win32':\n"
        "    pytest.skip('needs fork()', allow_module_level=True)\n" + PY_TEST,
    ),
    # a skip the base already had, in a test the change edits
    (
        "tests/test_cart.py",
        '@pytest.mark.skip(reason="later")\ndef test_total():\n    assert total([1]) == 1\n',
        '@pytest.mark.skip(reason="later")\ndef test_total():\n    assert total([1, 2]) == 3\n',
    ),
    (
        "web/cart.spec.ts",
        None,
        """
        test('adds', async ({ browserName }) => {
          test.skip(browserName === 'webkit', 'no clipboard')
          expect(add(1, 2)).toBe(3)
        })
        """,
    ),
    (
        "cart/cart_test.go",
        None,
        """
        package cart

        func TestTotal(t *testing.T) {
            if testing.Short() {
                t.Skip("needs the database")
            }
            assert.Equal(t, 3, Total(1, 2))
        }
        """,
    ),
    (
        "src/test/java/shop/CartTest.java",
        None,
        """
        class CartTest {
          @DisabledOnOs(OS.WINDOWS)
          @Test
          void total() { assertEquals(3, Cart.total(1, 2)); }
        }
        """,
    ),
    # `.only` that is not a focus: Django's QuerySet.only, a query builder's
    (
        "tests/test_orders.py",
        None,
        'def test_ids():\n    assert Order.objects.only("id").count() == 2\n',
    ),
    (
        "web/query.test.js",
        None,
        "it('selects', () => { expect(query.only('id').sql).toBe('SELECT id') })\n",
    ),
    # the same words outside tests: production code, its docs, strings and comments
    (
        "web/select.js",
        None,
        "export function focus(suite) {\n  return suite.describe.only('x', () => {})\n}\n",
    ),
    (
        "app/checks.py",
        None,
        '''
        def check(value):
            """Like `assert True`: never fails. Use @pytest.mark.skip in tests."""
            # assert True
            assert value is not None
            return "expect(true).toBe(true)"
        ''',
    ),
    # an AssertionError that is raised
    (
        "tests/test_upload.py",
        None,
        'def test_too_large():\n    if upload(b"x"):\n        raise AssertionError("no error")\n',
    ),
    # assertions that can fail
    (
        "tests/test_money.py",
        None,
        "def test_eq():\n    price = Money(3)\n    assert price == price\n    assert price\n",
    ),
    (
        "web/cart.test.ts",
        None,
        "test('adds', () => {\n  expect(isEmpty([])).toBe(true)\n})\n",
    ),
    # assertions rewritten, not removed; fewer, but written anew (a rewrite a reader judges)
    (
        "tests/test_cart.py",
        TWO_ASSERTIONS,
        "def test_total():\n    r = total([1, 2])\n    assert (r.amount, r.cur) == (3, 'EUR')\n",
    ),
    # an assertion moved to another test of the file
    (
        "tests/test_cart.py",
        TWO_ASSERTIONS,
        "def test_total():\n    r = total([1, 2])\n    assert r.amount == 3\n\n\n"
        "def test_currency():\n    r = total([1, 2])\n    assert r.cur == 'EUR'\n",
    ),
    # assertions rewritten, not removed
    (
        "tests/test_cart.py",
        "def test_total():\n    assert total([1, 2]) == 3\n",
        "def test_total():\n    result = total([1, 2])\n    assert result.amount == 3\n",
    ),
]


@pytest.mark.parametrize(
    ("path", "before", "after"),
    LOOK_ALIKES,
    ids=[f"{path.rsplit('.', 1)[1]}-{i}" for i, (path, *_) in enumerate(LOOK_ALIKES)],
)
def test_look_alike_is_not_reported(
    repo: Repo, cli: Cli, path: str, before: str | None, after: str
) -> None:
    report = analyze(repo, cli, {path: before} if before else {}, {path: after})

    assert weakened(report) == []


def test_every_rule_has_a_true_case_and_says_what_to_do() -> None:
    table = weakened_table()

    assert {rule for rule, *_ in FIRES} == RULES
    assert all(rule.message.endswith(".") for rule in table.rules)
    assert table.assertions_removed.message.endswith(".")


def test_a_disabled_rule_is_not_reported(repo: Repo, cli: Cli) -> None:
    repo.commit(
        "Config", {".github/ai-review.yml": "risk:\n  patterns:\n    disable: [test-focused]\n"}
    )

    report = analyze(repo, cli, {}, {"web/cart.test.js": "it.only('adds', () => {})\n"})

    assert weakened(report) == []


def test_removed_assertions_are_shown_low_and_not_counted(repo: Repo, cli: Cli) -> None:
    report = analyze(
        repo,
        cli,
        {"tests/test_cart.py": TWO_ASSERTIONS},
        {"tests/test_cart.py": TWO_ASSERTIONS.replace("    assert r.cur == 'EUR'\n", "")},
    )

    location = next(
        loc
        for loc in signal(report, "patterns")["locations"]
        if loc["rule"] == "assertions-removed"
    )
    assert (location["severity"], location["counted"]) == ("low", False)
    assert location["message"].endswith("(assertions: 1 removed, 1 left)")
    assert signal(report, "patterns")["score"] == 0


def test_a_test_file_too_large_to_read_says_the_rules_did_not_run(repo: Repo, cli: Cli) -> None:
    repo.commit("Config", {".github/ai-review.yml": "risk:\n  limits:\n    max_file_bytes: 1024\n"})
    big = "it('adds', () => { expect(add(1, 2)).toBe(3) })\n" * 40

    report = analyze(repo, cli, {}, {"web/cart.test.js": big + "it.only('x', () => {})\n"})

    skipped = signal(report, "patterns").get("skipped", [])
    assert {
        "path": "web/cart.test.js",
        "reason": "larger than 1 KiB: weakened-test rules did not run",
    } in skipped


# --- missing_tests -------------------------------------------------------------------------------

PRODUCTION = """
def total(items):
    amount = 0
    for item in items:
        amount += item.price * item.quantity
    if amount > 100:
        amount *= 0.9
    return round(amount, 2)
"""

SKIPPED_TAUTOLOGY = """
import pytest


@pytest.mark.skip(reason="TODO")
def test_total():
    assert True
"""


def test_skipped_tautological_test_does_not_satisfy_missing_tests(repo: Repo, cli: Cli) -> None:
    report = analyze(
        repo, cli, {}, {"app/cart.py": PRODUCTION, "tests/test_cart.py": SKIPPED_TAUTOLOGY}
    )

    missing = signal(report, "missing_tests")
    assert missing["score"] > 0
    assert missing["detail"].startswith("7 code lines added and no test changed")
    assert "tests/test_cart.py: not counted as a test changed" in missing["detail"]
    assert [loc["path"] for loc in missing["locations"]] == ["app/cart.py"]
    assert weakened(report) == [
        ("tests/test_cart.py", 4, "test-skipped"),
        ("tests/test_cart.py", 6, "test-tautology"),
    ]


def test_a_real_test_still_satisfies_missing_tests(repo: Repo, cli: Cli) -> None:
    real = "from app.cart import total\n\n\ndef test_total():\n    assert total([]) == 0\n"

    report = analyze(repo, cli, {}, {"app/cart.py": PRODUCTION, "tests/test_cart.py": real})

    missing = signal(report, "missing_tests")
    assert missing["score"] == 0
    assert "not counted" not in missing["detail"]


def test_a_conditional_skip_is_a_test_changed(repo: Repo, cli: Cli) -> None:
    conditional = code(
        """
        import sys

        import pytest


        @pytest.mark.skipif(sys.platform == "win32", reason="needs fork()")
        def test_total():
            assert total([]) == 0
        """
    )

    report = analyze(repo, cli, {}, {"app/cart.py": PRODUCTION, "tests/test_cart.py": conditional})

    assert signal(report, "missing_tests")["score"] == 0
    assert weakened(report) == []


def test_skipped_lines_beside_a_real_test_count_only_the_real_test(repo: Repo, cli: Cli) -> None:
    both = code(
        """
        import pytest


        @pytest.mark.skip(reason="TODO")
        def test_discount():
            assert True


        def test_total():
            assert total([]) == 0
        """
    )

    report = analyze(repo, cli, {}, {"app/cart.py": PRODUCTION, "tests/test_cart.py": both})

    missing = signal(report, "missing_tests")
    assert missing["detail"].startswith("2 test lines per 7 code lines added")
    assert "not counted" not in missing["detail"]


def test_a_skipped_test_moved_to_another_file_is_not_a_weakened_test(repo: Repo, cli: Cli) -> None:
    skipped = '@pytest.mark.skip(reason="needs the payment sandbox")\ndef test_refund():\n'
    skipped += "    assert refund(order()) == 10\n"
    report = analyze(
        repo,
        cli,
        {"tests/test_cart.py": "import pytest\n\n\n" + skipped},
        {
            "tests/test_cart.py": "import pytest\n",
            "tests/test_refund.py": "import pytest\n\n\n" + skipped,
            "app/cart.py": PRODUCTION,
        },
    )

    assert weakened(report) == []
    assert "not counted" not in signal(report, "missing_tests")["detail"]


def test_weakened_test_selects_the_checklist_item(repo: Repo, cli: Cli) -> None:
    report = analyze(repo, cli, {}, {"web/cart.test.js": "it.only('adds', () => {})\n"})

    items = [item["id"] for checklist in report["checklist"] for item in checklist["items"]]
    assert "tests-not-skipped-or-focused" in items
