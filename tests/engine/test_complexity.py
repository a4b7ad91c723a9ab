"""Complexity of one changed file, base against head (radon for Python, lizard for the rest)."""

from __future__ import annotations

import difflib
import subprocess
import sys
import textwrap

import pytest
from radon.metrics import mi_visit

from bot.config.risk import ComplexityConfig
from bot.engine.complexity import ComplexityScan, measure
from bot.engine.files import FileJob, FunctionChange
from bot.engine.result import Skipped

DEFAULTS = ComplexityConfig()  # function 10, increase 5, maintainability_drop 10


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def change(path: str, language: str, base: str | None, head: str) -> FileJob:
    """The job the engine builds for a file changed from `base` to `head` (None: a new file),
    with the head lines a diff shows as added."""
    base_lines = [] if base is None else base.splitlines()
    matcher = difflib.SequenceMatcher(None, base_lines, head.splitlines(), autojunk=False)
    added = {
        line
        for tag, _, _, first, last in matcher.get_opcodes()
        if tag in ("insert", "replace")
        for line in range(first + 1, last + 1)
    }
    return FileJob(
        path=path,
        language=language,
        meter="radon" if language == "python" else "lizard",
        base_text=base,
        head_text=head,
        added_lines=frozenset(added),
    )


def flagged(scan: ComplexityScan) -> list[tuple[str, int, int, int | None]]:
    return [(f.name, f.line, f.complexity, f.base_complexity) for f in scan.functions]


# --- Python ---------------------------------------------------------------------------------

BILLING = code('''
    """Invoices and card charges."""


    def invoice_total(lines):
        total = 0
        for line in lines:
            total += line.price * line.quantity
        return total
''')

CHARGE_STATUS = code("""
    def charge_status(response, attempt, max_attempts):
        if response is None:
            return "retry" if attempt < max_attempts else "failed"
        if response.status == 200:
            return "paid"
        if response.status in (402, 403):
            return "declined"
        if response.status == 409 and response.idempotent:
            return "paid"
        if response.status == 429 or response.status >= 500:
            if attempt < max_attempts:
                return "retry"
            return "failed"
        for error in response.errors:
            if error.code == "card_expired":
                return "declined"
        return "unknown"
""")  # complexity 12


def test_new_complex_python_function_is_flagged() -> None:
    head = BILLING + "\n\n" + CHARGE_STATUS

    scan = measure(change("billing.py", "python", BILLING, head), DEFAULTS)

    assert scan.functions == (
        FunctionChange("billing.py", "charge_status", 11, complexity=12, base_complexity=None),
    )
    assert scan.skipped is None


def test_new_simple_python_function_is_not_flagged() -> None:
    head = BILLING + code("""


        def invoice_count(invoices):
            return sum(1 for invoice in invoices if invoice.sent)
    """)

    scan = measure(change("billing.py", "python", BILLING, head), DEFAULTS)

    assert scan.functions == ()


def test_new_function_at_the_threshold_is_not_flagged_and_one_above_is() -> None:
    head = code("""
        def label(count):
            if count == 0:
                return "none"
            if count == 1:
                return "one"
            return "many"


        def sign(number):
            if number > 0:
                return 1
            if number < 0:
                return -1
            if number == 0:
                return 0
            raise ValueError(number)
    """)

    scan = measure(change("format.py", "python", None, head), ComplexityConfig(function=3))

    assert flagged(scan) == [("sign", 9, 4, None)]


GROWN_BY_FIVE = code('''
    """Invoices and card charges."""


    def invoice_total(lines, discounts, tax):
        """The sum of the lines after discounts, plus tax.

        Lines without a quantity are left out.
        """
        total = 0
        for line in lines:
            if line.quantity <= 0:
                continue
            price = line.price
            if line.sku in discounts and discounts[line.sku] > 0:
                price -= discounts[line.sku]
            total += price * line.quantity
        if tax is not None and total > 0:
            total += total * tax
        return total
''')


def test_existing_function_that_grew_by_the_increase_is_flagged() -> None:
    scan = measure(change("billing.py", "python", BILLING, GROWN_BY_FIVE), DEFAULTS)

    assert flagged(scan) == [("invoice_total", 4, 7, 2)]


def test_existing_function_that_grew_by_less_than_the_increase_is_not_flagged() -> None:
    grown_by_four = GROWN_BY_FIVE.replace("if tax is not None and total > 0:", "if tax:")

    scan = measure(change("billing.py", "python", BILLING, grown_by_four), DEFAULTS)

    assert scan.functions == ()


def test_untouched_complex_function_is_not_flagged_when_the_base_is_unavailable() -> None:
    # Without a base every function counts as new: only the ones the diff touched may be flagged.
    base = BILLING + "\n\n" + CHARGE_STATUS
    head = base.replace("total = 0", "total = 0.0")
    job = change("billing.py", "python", base, head)
    without_base = FileJob(job.path, job.language, job.meter, None, head, job.added_lines)

    scan = measure(without_base, DEFAULTS)

    assert scan.functions == ()
    assert scan.skipped is None


def test_decorator_added_above_a_function_touches_it() -> None:
    head = "import functools\n\n\n@functools.cache\n" + CHARGE_STATUS

    scan = measure(change("billing.py", "python", CHARGE_STATUS, head), DEFAULTS)
    without_base = measure(
        FileJob("billing.py", "python", "radon", None, head, frozenset({4})), DEFAULTS
    )

    assert scan.functions == ()  # it did not grow
    assert flagged(without_base) == [("charge_status", 5, 12, None)]


ORDERS = code("""
    class Order:
        def save(self, db):
            db.write(self)


    class Invoice:
        def save(self, db):
            db.write(self)
""")


def test_methods_are_keyed_by_their_class() -> None:
    head = code("""
        class Order:
            def save(self, db):
                db.write(self)


        class Invoice:
            def save(self, db):
                if self.total < 0 or not self.lines or self.void:
                    raise ValueError("empty invoice")
                for attempt in range(3):
                    if db.write(self):
                        return
                raise TimeoutError
    """)

    scan = measure(change("orders.py", "python", ORDERS, head), DEFAULTS)

    assert flagged(scan) == [("Invoice.save", 7, 6, 1)]


def test_nested_functions_are_keyed_under_their_parent() -> None:
    head = code("""
        def export(rows):
            def cell(value):
                if value is None:
                    return ""
                if isinstance(value, bool):
                    return "yes" if value else "no"
                if isinstance(value, float):
                    return f"{value:.2f}"
                if isinstance(value, (list, tuple)) and value:
                    return ", ".join(cell(item) for item in value if item)
                return str(value)

            return [[cell(value) for value in row] for row in rows]
    """)

    scan = measure(change("export.py", "python", None, head), ComplexityConfig(function=5))

    assert flagged(scan) == [("export.cell", 2, 9, None)]


def test_a_setter_is_compared_with_the_base_setter_not_the_getter() -> None:
    base = code("""
        class Account:
            @property
            def email(self):
                return self._email or ""

            @email.setter
            def email(self, value):
                self._email = value
    """)
    head = code("""
        class Account:
            @property
            def email(self):
                return self._email or ""

            @email.setter
            def email(self, value):
                if not value or "@" not in value:
                    raise ValueError(value)
                if value.endswith(".invalid") or len(value) > 254 or " " in value:
                    raise ValueError(value)
                self._email = value.strip().lower()
    """)

    scan = measure(change("account.py", "python", base, head), DEFAULTS)

    assert flagged(scan) == [("Account.email", 7, 6, 1)]


def test_functions_are_listed_by_line() -> None:
    head = CHARGE_STATUS.replace("charge_status", "refund_status") + "\n\n" + CHARGE_STATUS

    scan = measure(change("billing.py", "python", None, head), DEFAULTS)

    assert [(f.name, f.line) for f in scan.functions] == [
        ("refund_status", 1),
        ("charge_status", 20),
    ]


def test_maintainability_drop_is_radons_index_before_minus_after() -> None:
    head = GROWN_BY_FIVE + "\n\n" + CHARGE_STATUS
    settings = ComplexityConfig(maintainability_drop=5)

    scan = measure(change("billing.py", "python", BILLING, head), settings)

    expected = mi_visit(BILLING, True) - mi_visit(head, True)
    assert expected >= settings.maintainability_drop
    assert scan.maintainability_drop == pytest.approx(expected)


def test_maintainability_drop_below_the_setting_is_not_reported() -> None:
    head = GROWN_BY_FIVE + "\n\n" + CHARGE_STATUS
    drop = mi_visit(BILLING, True) - mi_visit(head, True)

    scan = measure(
        change("billing.py", "python", BILLING, head),
        ComplexityConfig(maintainability_drop=drop + 1),
    )

    assert scan.maintainability_drop is None


def test_new_python_file_has_no_maintainability_drop() -> None:
    scan = measure(change("billing.py", "python", None, GROWN_BY_FIVE), DEFAULTS)

    assert scan.maintainability_drop is None


def test_long_data_literal_skips_the_maintainability_index_but_not_functions() -> None:
    # radon counts lines of a long statement in quadratic time; the head would take a minute.
    table = "".join(f'    ("SKU-{n:05}", {n % 97}, "warehouse-{n % 7}"),\n' for n in range(2000))
    head = BILLING + "\n\nSTOCK = [\n" + table + "]\n\n\n" + CHARGE_STATUS

    scan = measure(change("billing.py", "python", BILLING, head), ComplexityConfig(function=10))

    assert scan.maintainability_drop is None
    assert [f.name for f in scan.functions] == ["charge_status"]


def test_python_syntax_error_is_skipped_with_its_line() -> None:
    head = BILLING.replace("for line in lines:", "for line in lines")

    scan = measure(change("billing.py", "python", BILLING, head), DEFAULTS)

    assert scan == ComplexityScan(
        functions=(),
        maintainability_drop=None,
        skipped=Skipped("billing.py", "syntax error at line 6"),
    )


def test_base_with_a_syntax_error_counts_touched_head_functions_as_new() -> None:
    base = BILLING.replace("for line in lines:", "for line in lines") + "\n\n" + CHARGE_STATUS
    head = BILLING + "\n\n" + CHARGE_STATUS.replace("charge_status", "card_status")

    scan = measure(change("billing.py", "python", base, head), DEFAULTS)

    assert flagged(scan) == [("card_status", 11, 12, None)]
    assert scan.maintainability_drop is None


def test_too_deeply_nested_python_is_skipped() -> None:
    head = "TOTAL = " + " + ".join(["price"] * 200_000) + "\n"

    scan = measure(change("generated_sum.py", "python", None, head), DEFAULTS)

    assert scan.skipped == Skipped("generated_sum.py", "too deeply nested to measure")


# --- other languages, with lizard -------------------------------------------------------------

SHIPPING_JS = code("""
    export function shippingCost(order) {
      return order.weight * 2;
    }
""")

QUOTE_JS = code("""
    export function quote(order, region) {
      if (!order.items.length) {
        return 0;
      }
      let cost = order.weight * 2;
      if (region === "EU" || region === "UK") {
        cost += 5;
      } else if (region === "US" && order.express) {
        cost += 15;
      }
      for (const item of order.items) {
        if (item.fragile) {
          cost += 3;
        }
        if (item.oversize && !order.freight) {
          cost += 20;
        }
      }
      return order.coupon ? cost * 0.9 : cost;
    }
""")  # complexity 11


def test_new_complex_javascript_function_is_flagged() -> None:
    head = SHIPPING_JS + "\n" + QUOTE_JS

    scan = measure(change("web/shipping.js", "javascript", SHIPPING_JS, head), DEFAULTS)

    assert flagged(scan) == [("quote", 5, 11, None)]


def test_javascript_function_whose_parameters_changed_is_compared_with_its_base() -> None:
    base = code("""
        export function fee(order) {
          if (order.express) {
            return 15;
          }
          return 5;
        }
    """)
    head = code("""
        export function fee(order, region) {
          if (order.express) {
            return region === "US" ? 15 : 25;
          }
          if ((region === "EU" || region === "UK") && !order.oversize) {
            return order.total > 100 ? 0 : 5;
          }
          return 5;
        }
    """)

    scan = measure(change("web/fee.js", "javascript", base, head), DEFAULTS)

    assert flagged(scan) == [("fee", 1, 7, 2)]


def test_typescript_with_an_extension_lizard_does_not_know_is_measured() -> None:
    head = QUOTE_JS.replace("(order, region)", "(order: Order, region: string): number")

    scan = measure(change("src/quote.mts", "typescript", None, head), DEFAULTS)

    assert flagged(scan) == [("quote", 1, 11, None)]


GO_CLIENT = code("""
    package payments

    func (c *Client) Charge(ctx context.Context, req ChargeRequest) (*Charge, error) {
        return c.post(ctx, "/charges", req)
    }
""")


def test_go_method_that_grew_is_flagged() -> None:
    head = code("""
        package payments

        func (c *Client) Charge(ctx context.Context, req ChargeRequest) (*Charge, error) {
            var lastErr error
            for attempt := 0; attempt < c.maxAttempts; attempt++ {
                charge, err := c.post(ctx, "/charges", req)
                if err == nil && charge.Status != "pending" {
                    return charge, nil
                }
                if !isRetryable(err) || ctx.Err() != nil {
                    return nil, err
                }
                lastErr = err
            }
            return nil, lastErr
        }
    """)

    scan = measure(change("payments/client.go", "go", GO_CLIENT, head), DEFAULTS)

    assert flagged(scan) == [("Charge", 3, 6, 1)]


PRICES_JAVA = code("""
    package shop;

    public class PriceCalculator {
        public long price(Item item) {
            return item.cents();
        }

        public long price(Item item, Coupon coupon) {
            return item.cents() - coupon.cents();
        }
    }
""")


def test_java_overloads_are_compared_one_by_one() -> None:
    head = code("""
        package shop;

        public class PriceCalculator {
            public long price(Item item) {
                return item.cents();
            }

            public long price(Item item, Coupon coupon) {
                if (coupon == null || coupon.expired()) {
                    return item.cents();
                }
                long cents = item.cents() - coupon.cents();
                if (cents < 0 && !coupon.allowsNegative()) {
                    return 0;
                }
                return coupon.percent() > 0 ? cents * (100 - coupon.percent()) / 100 : cents;
            }
        }
    """)

    scan = measure(change("shop/PriceCalculator.java", "java", PRICES_JAVA, head), DEFAULTS)

    assert flagged(scan) == [("PriceCalculator::price", 8, 6, 1)]


def test_lizard_is_not_imported_for_python_files() -> None:
    # lizard loads every language reader when imported: a Python-only change must not pay that.
    program = code("""
        import sys
        from bot.config.risk import ComplexityConfig
        from bot.engine.complexity import measure
        from bot.engine.files import FileJob
        job = FileJob("a.py", "python", "radon", None, "def f():\\n    return 1\\n", frozenset({1}))
        measure(job, ComplexityConfig())
        print("lizard" in sys.modules)
    """)

    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )

    assert result.stdout == "False\n"


# --- files that are not measured ------------------------------------------------------------


def test_unknown_language_is_skipped() -> None:
    job = FileJob("notes.xyz", None, None, None, "anything", frozenset({1}))

    scan = measure(job, DEFAULTS)

    assert scan == ComplexityScan((), None, Skipped("notes.xyz", "unknown language"))


def test_language_without_a_meter_is_skipped() -> None:
    job = FileJob("deploy.sh", "shell", None, None, None, frozenset({1}))

    scan = measure(job, DEFAULTS)

    assert scan.skipped == Skipped("deploy.sh", "no complexity meter for shell")


def test_missing_head_text_is_skipped() -> None:
    job = FileJob("billing.py", "python", "radon", BILLING, None, frozenset({5}))

    scan = measure(job, DEFAULTS)

    assert scan == ComplexityScan((), None, Skipped("billing.py", "head text not available"))
