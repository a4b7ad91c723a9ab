"""Structural rules (bot/data/structural.yml): ast-grep over a file's syntax tree, kept on the
lines a change added. Each rule has a true positive and a look-alike in each language it reads."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import pytest
from ast_grep_py import SgRoot

from bot.config.issues import ConfigError
from bot.config.levels import Severity
from bot.config.load import load_model
from bot.engine.builtins import load_builtins
from bot.engine.files import FileJob
from bot.engine.patterns import scan_file
from bot.engine.patterns.structural import (
    GRAMMARS,
    StructuralFile,
    StructuralRule,
    builtin_rules,
    grammar_of,
    scan_structure,
)
from bot.engine.result import Location


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def make_job(
    path: str,
    head_text: str | None,
    added: Iterable[int] | None = None,
    *,
    base_text: str | None = None,
    added_text: Mapping[int, str] | None = None,
    production: bool = True,
) -> FileJob:
    """A changed file; without `added`, every line of the head text is added (a new file)."""
    lines = head_text.split("\n") if head_text is not None else []
    if added_text is None:
        numbers = range(1, len(lines) + 1) if added is None else added
        added_text = {n: lines[n - 1] for n in numbers}
    language = load_builtins().languages.of(path)
    return FileJob(
        path=path,
        language=language.id if language else None,
        meter=None,
        base_text=base_text,
        head_text=head_text,
        added_lines=frozenset(added_text),
        added_text=MappingProxyType(dict(added_text)),
        production=production,
    )


def found(path: str, source: str, **kwargs: object) -> list[tuple[str | None, int | None]]:
    """(rule, line) of the structural findings on a new file."""
    job = make_job(path, code(source), **kwargs)  # type: ignore[arg-type]
    return [(f.rule, f.line) for f in scan_structure(job, frozenset()).findings]


def rules_of(path: str, source: str) -> set[str | None]:
    return {rule for rule, _ in found(path, source)}


# --- one true positive and one look-alike per rule and language ----------------------------------

FIRES = [
    # query-in-loop: a read or remote call per item
    (
        "query-in-loop",
        "shop/views.py",
        """
        def totals(users):
            for user in users:
                count = Order.objects.filter(user=user).count()
        """,
    ),
    (
        "query-in-loop",
        "shop/client.py",
        "pages = [requests.get(url, timeout=5) for url in urls]\n",
    ),
    (
        "query-in-loop",
        "src/users.ts",
        """
        export async function names(ids: string[]) {
          for (const id of ids) {
            const user = await prisma.user.findUnique({ where: { id } });
          }
        }
        """,
    ),
    (
        "query-in-loop",
        "src/Avatars.tsx",
        """
        export const load = (ids: string[]) =>
          Promise.all(ids.map((id) => fetch(`/api/avatar/${id}`)));
        """,
    ),
    (
        "query-in-loop",
        "store/users.go",
        """
        package store

        func names(db *sql.DB, ids []int) {
            for _, id := range ids {
                db.QueryRow("SELECT name FROM users WHERE id = $1", id)
            }
        }
        """,
    ),
    (
        "query-in-loop",
        "src/main/java/shop/Totals.java",
        """
        class Totals {
          void load(List<Long> ids) {
            for (Long id : ids) {
              userRepository.findById(id);
            }
          }
        }
        """,
    ),
    # write-in-loop: a write per item
    (
        "write-in-loop",
        "shop/imports.py",
        """
        def save(rows):
            for row in rows:
                Item.objects.create(name=row["name"])
        """,
    ),
    (
        "write-in-loop",
        "src/import.ts",
        """
        export async function save(rows: Row[]) {
          for (const row of rows) {
            await prisma.item.create({ data: row });
          }
        }
        """,
    ),
    (
        "write-in-loop",
        "store/plans.go",
        """
        package store

        func expire(tx *sql.Tx, users []User) {
            for _, u := range users {
                tx.Exec("UPDATE users SET plan = 'free' WHERE id = $1", u.ID)
            }
        }
        """,
    ),
    (
        "write-in-loop",
        "src/main/java/shop/Import.java",
        """
        class Import {
          void save(List<Order> orders) {
            for (Order order : orders) {
              orderRepository.save(order);
            }
          }
        }
        """,
    ),
    # unbounded-query: a read with no limit
    ("unbounded-query", "shop/report.py", 'rows = cursor.execute("SELECT id, email FROM users")\n'),
    (
        "unbounded-query",
        "shop/export.py",
        """
        def export():
            for user in User.objects.all():
                yield user.email
        """,
    ),
    ("unbounded-query", "src/users.ts", "const users = await prisma.user.findMany();\n"),
    (
        "unbounded-query",
        "src/report.js",
        'const rows = await db.query("SELECT id, email FROM users");\n',
    ),
    (
        "unbounded-query",
        "src/main/java/shop/Report.java",
        'class Report { String q = "SELECT id, email FROM users"; }\n',
    ),
    ("unbounded-query", "store/users.go", "package store\n\nfunc f() { tx.All(&users) }\n"),
    (
        "unbounded-query",
        "store/users.go",
        "package store\n\nconst listUsers = `SELECT id, name FROM users`\n",
    ),
    (
        "unbounded-query",
        "src/main/java/shop/Users.java",
        "class Users { List<User> all() { return userRepository.findAll(); } }\n",
    ),
    # secret-in-log: a credential's value logged
    ("secret-in-log", "app/auth.py", 'logger.info("token=%s", access_token)\n'),
    ("secret-in-log", "src/auth.ts", "console.log(`Bearer ${githubToken}`);\n"),
    (
        "secret-in-log",
        "auth/login.go",
        'package auth\n\nfunc f() { log.Printf("password: %s", cfg.Password) }\n',
    ),
    (
        "secret-in-log",
        "src/main/java/auth/Login.java",
        'class Login { void f() { log.info("password {}", password); } }\n',
    ),
    # print-debug: output printed where a logger belongs
    ("print-debug", "app/service.py", 'def total(x):\n    print("total here", x)\n'),
    ("print-debug", "src/service.ts", 'console.log("here", order);\n'),
    ("print-debug", "pkg/lib/sum.go", 'package lib\n\nfunc f() { fmt.Println("here") }\n'),
    (
        "print-debug",
        "src/main/java/shop/Sum.java",
        'class Sum { void f() { System.out.println("here"); } }\n',
    ),
    # money-float: money in binary floating point, in payment code
    ("money-float", "shop/billing/invoice.py", "def charge(amount: float) -> None: ...\n"),
    ("money-float", "src/checkout.ts", "const price = parseFloat(form.price);\n"),
    (
        "money-float",
        "billing/invoice.go",
        "package billing\n\ntype Invoice struct {\n\tAmount float64\n}\n",
    ),
    (
        "money-float",
        "src/main/java/billing/Order.java",
        "class Order { private double totalPrice; }\n",
    ),
    # payment-no-idempotency: money moved without an idempotency key
    (
        "payment-no-idempotency",
        "shop/refunds.py",
        """
        def refund(order):
            stripe.Refund.create(payment_intent=order.intent_id, amount=order.refund_cents)
        """,
    ),
    (
        "payment-no-idempotency",
        "src/payouts.ts",
        """
        export async function pay(partner: Partner) {
          await stripe.transfers.create({
            amount: partner.due,
            currency: "usd",
            destination: partner.account,
          });
        }
        """,
    ),
    (
        "payment-no-idempotency",
        "pay/payout.go",
        "package pay\n\nfunc send(params *stripe.PayoutParams) { payout.New(params) }\n",
    ),
    (
        "payment-no-idempotency",
        "src/main/java/pay/Refunds.java",
        "class Refunds { void refund(RefundCreateParams params) { Refund.create(params); } }\n",
    ),
    # blocking-in-async: the event loop stopped (JavaScript, TypeScript)
    (
        "blocking-in-async",
        "src/server/files.ts",
        """
        export async function handler(req: Request) {
          const body = fs.readFileSync(req.path, "utf8");
        }
        """,
    ),
    # xss-sink: HTML built from a value
    ("xss-sink", "src/ui.ts", "el.innerHTML = `<b>${name}</b>`;\n"),
    (
        "xss-sink",
        "src/Bio.tsx",
        "export const Bio = ({ bio }: Props) =>\n"
        "  <div dangerouslySetInnerHTML={{ __html: bio }} />;\n",
    ),
    ("xss-sink", "web/bio.go", "package web\n\nfunc f() { x := template.HTML(user.Bio) }\n"),
]

LOOK_ALIKES = [
    # query-in-loop: retries, literal lists, batches, one call the loop returns, uploads
    (
        "query-in-loop",
        "shop/client.py",
        """
        def fetch(url):
            for attempt in range(3):
                response = requests.get(url, timeout=5)
        """,
    ),
    (
        "query-in-loop",
        "shop/views.py",
        """
        def first_paid(orders):
            for order in orders:
                if order.paid:
                    return Invoice.objects.get(order=order)
        """,
    ),
    (
        "query-in-loop",
        "shop/views.py",
        """
        def totals(users):
            counts = Order.objects.filter(user__in=users).values("user").annotate(n=Count("id"))
            for user in users:
                qs = Order.objects.filter(user=user)
        """,
    ),
    (
        "query-in-loop",
        "src/users.ts",
        """
        export async function names(ids: string[]) {
          const users = await prisma.user.findMany({ where: { id: { in: ids } } });
          for (const user of users) {
            console.info(user.name);
          }
        }
        """,
    ),
    (
        "query-in-loop",
        "src/Upload.tsx",
        """
        export const upload = (files: File[]) =>
          Promise.all(files.map((file) => fetch(file.signedUrl, { method: "PUT", body: file })));
        """,
    ),
    (
        "query-in-loop",
        "store/users.go",
        """
        package store

        func poll(client *http.Client, req *http.Request) {
            for {
                resp, err := client.Do(req)
            }
        }
        """,
    ),
    (
        "query-in-loop",
        "src/main/java/shop/Totals.java",
        """
        class Totals {
          void load(List<Long> ids) {
            List<User> users = userRepository.findAllById(ids);
            for (int i = 0; i < MAX_RETRIES; i++) { client.send(request, handler); }
          }
        }
        """,
    ),
    # write-in-loop: one bulk write
    (
        "write-in-loop",
        "shop/imports.py",
        'def save(rows):\n    Item.objects.bulk_create([Item(name=r["name"]) for r in rows])\n',
    ),
    (
        "write-in-loop",
        "src/import.ts",
        "export const save = (rows: Row[]) => prisma.item.createMany({ data: rows });\n",
    ),
    (
        "write-in-loop",
        "store/plans.go",
        "package store\n\nfunc expire(tx *sql.Tx, ids []int) {\n\ttx.Exec(q, pq.Array(ids))\n}\n",
    ),
    (
        "write-in-loop",
        "src/main/java/shop/Import.java",
        "class Import { void save(List<Order> orders) { orderRepository.saveAll(orders); } }\n",
    ),
    # unbounded-query: a key, a limit, a page, a built query, prose
    (
        "unbounded-query",
        "shop/report.py",
        'rows = cursor.execute("SELECT id, email FROM users WHERE id = %s", (user_id,))\n',
    ),
    ("unbounded-query", "shop/report.py", 'title = "Select a file from your computer"\n'),
    ("unbounded-query", "shop/export.py", "recent = list(User.objects.all()[:100])\n"),
    (
        "unbounded-query",
        "src/users.ts",
        "const users = await prisma.user.findMany({ take: 50 });\n",
    ),
    (
        "unbounded-query",
        "store/users.go",
        "package store\n\nconst listUsers = `SELECT id, name FROM users LIMIT $1`\n",
    ),
    (
        "unbounded-query",
        "src/main/java/shop/Users.java",
        "class Users {\n"
        "  Page<User> page() { return userRepository.findAll(PageRequest.of(0, 20)); }\n"
        "}\n",
    ),
    # secret-in-log: its length, a message about it, a token that is no credential
    ("secret-in-log", "app/auth.py", 'logger.info("token length %d", len(access_token))\n'),
    ("secret-in-log", "app/auth.py", 'logger.info("next page %s", next_page_token)\n'),
    ("secret-in-log", "src/auth.ts", 'console.log("Using token from", tokenSource);\n'),
    (
        "secret-in-log",
        "auth/login.go",
        'package auth\n\nfunc f() { log.Printf("password set: %t", cfg.Password != "") }\n',
    ),
    (
        "secret-in-log",
        "src/main/java/auth/Login.java",
        'class Login { void f() { log.info("password changed for {}", username); } }\n',
    ),
    # print-debug: command-line programs, explicit streams, errors
    (
        "print-debug",
        "app/report.py",
        'import argparse\n\n\ndef main():\n    print("done")\n',
    ),
    ("print-debug", "app/service.py", 'print("failed", file=sys.stderr)\n'),
    ("print-debug", "src/service.ts", 'console.error("failed", error);\n'),
    ("print-debug", "bin/report.js", 'console.log("done");\n'),
    ("print-debug", "cmd/report/main.go", 'package main\n\nfunc f() { fmt.Println("done") }\n'),
    (
        "print-debug",
        "src/main/java/shop/Report.java",
        'class Report { public static void main(String[] a) { System.out.println("done"); } }\n',
    ),
    # money-float: decimals, minor units, floats of other things, code outside payments
    ("money-float", "shop/billing/invoice.py", "def charge(amount: Decimal) -> None: ...\n"),
    ("money-float", "shop/billing/invoice.py", "def wait(duration: float) -> None: ...\n"),
    ("money-float", "app/charts.py", "def plot(amount: float) -> None: ...\n"),
    ("money-float", "src/checkout.ts", "const width = parseFloat(style.width);\n"),
    (
        "money-float",
        "billing/invoice.go",
        "package billing\n\ntype Invoice struct {\n\tAmountCents int64\n}\n",
    ),
    (
        "money-float",
        "src/main/java/billing/Order.java",
        "class Order { private BigDecimal totalPrice; }\n",
    ),
    # payment-no-idempotency: a key, a full refund, an intent the client confirms
    (
        "payment-no-idempotency",
        "shop/refunds.py",
        """
        def refund(order):
            stripe.Refund.create(
                payment_intent=order.intent_id,
                amount=order.refund_cents,
                idempotency_key=f"refund-{order.id}",
            )
        """,
    ),
    (
        "payment-no-idempotency",
        "shop/refunds.py",
        "def refund(order):\n    stripe.Refund.create(payment_intent=order.intent_id)\n",
    ),
    (
        "payment-no-idempotency",
        "src/payouts.ts",
        """
        export async function pay(partner: Partner) {
          await stripe.transfers.create(
            { amount: partner.due, currency: "usd", destination: partner.account },
            { idempotencyKey: `payout-${partner.payoutId}` },
          );
        }
        """,
    ),
    (
        "payment-no-idempotency",
        "src/checkout.ts",
        """
        export async function intent(order: Order) {
          return stripe.paymentIntents.create({ amount: order.cents, currency: "usd" });
        }
        """,
    ),
    (
        "payment-no-idempotency",
        "pay/payout.go",
        """
        package pay

        func send(params *stripe.PayoutParams, id string) {
            params.SetIdempotencyKey("payout-" + id)
            payout.New(params)
        }
        """,
    ),
    (
        "payment-no-idempotency",
        "src/main/java/pay/Refunds.java",
        """
        class Refunds {
          void refund(RefundCreateParams params, String key) {
            Refund.create(params, RequestOptions.builder().setIdempotencyKey(key).build());
          }
        }
        """,
    ),
    # blocking-in-async: a plain function, the promise API, code that serves no requests
    (
        "blocking-in-async",
        "src/server/files.ts",
        'export function load(path: string) {\n  return fs.readFileSync(path, "utf8");\n}\n',
    ),
    (
        "blocking-in-async",
        "src/server/files.ts",
        "export async function load(path: string) {\n"
        '  return fs.promises.readFile(path, "utf8");\n'
        "}\n",
    ),
    (
        "blocking-in-async",
        "src/setup-settings.ts",
        'export async function setup(path: string) {\n  fs.writeFileSync(path, "{}");\n}\n',
    ),
    # xss-sink: text, literals, constants, sanitized values, CSS
    ("xss-sink", "src/ui.ts", "el.textContent = name;\n"),
    ("xss-sink", "src/ui.ts", 'el.innerHTML = "";\n'),
    ("xss-sink", "src/ui.ts", 'const icon = "<svg></svg>";\nel.innerHTML = icon;\n'),
    ("xss-sink", "src/ui.ts", "el.innerHTML = DOMPurify.sanitize(html);\n"),
    (
        "xss-sink",
        "src/Theme.tsx",
        "export const Theme = ({ css }: Props) =>\n"
        "  <style dangerouslySetInnerHTML={{ __html: css }} />;\n",
    ),
    ("xss-sink", "web/bio.go", 'package web\n\nfunc f() { x := template.HTML("<br>") }\n'),
]


@pytest.mark.parametrize(("rule_id", "path", "source"), FIRES)
def test_rule_fires_on_its_true_positive(rule_id: str, path: str, source: str) -> None:
    assert rule_id in rules_of(path, source)


@pytest.mark.parametrize(("rule_id", "path", "source"), LOOK_ALIKES)
def test_rule_stays_quiet_on_its_look_alike(rule_id: str, path: str, source: str) -> None:
    assert rule_id not in rules_of(path, source)


def test_every_rule_and_language_has_a_true_positive_and_a_look_alike() -> None:
    # JavaScript and TypeScript share their rules: one of them stands for both.
    family = {"typescript": "javascript"}

    def pairs(table: list[tuple[str, str, str]]) -> set[tuple[str, str]]:
        languages = load_builtins().languages
        return {
            (rule_id, family.get(language.id, language.id))
            for rule_id, path, _ in table
            if (language := languages.of(path)) is not None
        }

    wanted = {
        (rule.id, family.get(language, language))
        for rule in builtin_rules()
        for language in rule.languages
    }

    assert wanted - pairs(FIRES) == set()
    assert wanted - pairs(LOOK_ALIKES) == set()


@pytest.mark.parametrize("index", range(len(builtin_rules())))
def test_every_rule_entry_fires_on_a_listed_true_positive(index: int) -> None:
    rule = builtin_rules()[index]
    hits = [
        path
        for rule_id, path, source in FIRES
        if rule_id == rule.id
        and scan_structure(make_job(path, code(source)), frozenset(), rules=[rule]).findings
    ]

    assert hits, f"no true positive in FIRES for entry {index} ({rule.id}: {rule.languages})"


@pytest.mark.parametrize("index", range(len(builtin_rules())))
def test_every_rule_compiles_for_every_grammar_it_reads(index: int) -> None:
    rule = builtin_rules()[index]
    grammars = {
        grammar
        for language in rule.languages
        for grammar in (
            [GRAMMARS[language], "tsx"] if language == "typescript" else [GRAMMARS[language]]
        )
        if rule.grammars is None or grammar in rule.grammars
    }

    for grammar in sorted(grammars):
        SgRoot("x", grammar).root().find_all(rule.config())  # raises on a kind the grammar lacks


def test_rule_file_refuses_an_unknown_key() -> None:
    document = (
        "rules:\n"
        "  - {id: x, message: m, languages: [python], needle: x, rule: {kind: call}, typo: 1}\n"
    )

    with pytest.raises(ConfigError, match="typo"):
        load_model(document, "structural.yml", StructuralFile)


def test_every_rule_is_named_by_a_checklist_item() -> None:
    named = {
        pattern
        for checklist in load_builtins().checklists
        for item in checklist.items
        for when in (item.when if isinstance(item.when, list) else [item.when])
        if when is not None
        for pattern in when.patterns
    }

    assert {rule.id for rule in builtin_rules()} - named == set()


def test_tsx_files_are_read_with_the_jsx_grammar() -> None:
    assert (grammar_of("src/A.tsx", "typescript"), grammar_of("src/a.ts", "typescript")) == (
        "tsx",
        "typescript",
    )
    assert grammar_of("style.css", "css") is None


# --- only what the change wrote ---------------------------------------------------------------

LOOP = code(
    """
    def totals(users):
        for user in users:
            count = Order.objects.filter(user=user).count()
        return 1
    """
)


def test_construct_on_lines_the_change_did_not_touch_is_not_reported() -> None:
    job = make_job("shop/views.py", LOOP, added=[4])

    assert scan_structure(job, frozenset()).findings == ()


def test_construct_the_base_had_is_not_reported_when_the_change_edits_its_arguments() -> None:
    head = LOOP.replace("filter(user=user)", "filter(user=user, paid=True)")
    job = make_job("shop/views.py", head, added=[3], base_text=LOOP)

    assert scan_structure(job, frozenset()).findings == ()


def test_a_second_query_in_a_loop_is_new_though_the_base_had_one_like_it() -> None:
    head = LOOP.replace(
        "    return 1",
        "    for team in teams:\n        n = Order.objects.filter(team=team).count()\n    return 1",
    )
    job = make_job("shop/views.py", head, added=[4, 5], base_text=LOOP)

    assert [(f.rule, f.line) for f in scan_structure(job, frozenset()).findings] == [
        ("query-in-loop", 5)
    ]


def test_a_loop_added_around_an_old_query_is_reported() -> None:
    base = "def total(user):\n    return Order.objects.filter(user=user).count()\n"
    job = make_job("shop/views.py", LOOP, added=[2, 3, 4], base_text=base)

    assert [(f.rule, f.line) for f in scan_structure(job, frozenset()).findings] == [
        ("query-in-loop", 3)
    ]


def test_tests_docs_and_examples_are_not_scanned() -> None:
    job = make_job("tests/test_views.py", LOOP, production=False)

    assert scan_structure(job, frozenset()).findings == ()


def test_disabled_rule_id_is_not_reported() -> None:
    job = make_job("shop/views.py", LOOP)

    assert scan_structure(job, frozenset({"query-in-loop"})).findings == ()


def test_suppression_comment_keeps_a_deliberate_print() -> None:
    assert rules_of("app/service.py", 'print("ready")  # noqa: T201\n') == set()


def test_finding_carries_the_rule_message_severity_cwe_and_whether_it_counts() -> None:
    job = make_job("shop/views.py", LOOP)
    rule = next(r for r in builtin_rules() if r.id == "query-in-loop" and "python" in r.languages)

    assert scan_structure(job, frozenset()).findings == (
        Location(
            path="shop/views.py",
            line=3,
            message=rule.message,
            rule="query-in-loop",
            severity=Severity.MEDIUM,
            cwe=1050,
            counted=True,
        ),
    )


def test_low_precision_rules_are_shown_not_counted() -> None:
    shown = {rule.id for rule in builtin_rules() if not rule.counted}

    assert shown == {
        "write-in-loop",
        "unbounded-query",
        "print-debug",
        "money-float",
        "blocking-in-async",
        "xss-sink",
    }
    assert all(rule.severity is Severity.LOW for rule in builtin_rules() if not rule.counted)


def test_file_without_head_text_says_the_structural_rules_did_not_run() -> None:
    job = make_job(
        "shop/views.py",
        None,
        added_text={3: "        count = Order.objects.filter(user=user).count()"},
    )

    scanned = scan_structure(job, frozenset())

    assert [s.reason for s in scanned.skipped] == [
        "head text not available: structural rules did not run"
    ]


def test_file_without_head_text_and_nothing_a_rule_looks_for_gets_no_note() -> None:
    job = make_job("shop/views.py", None, added_text={3: "x = 1"})

    assert scan_structure(job, frozenset()).skipped == ()


def test_scan_file_reports_structural_findings_beside_the_line_rules() -> None:
    source = (
        "def f(users):\n    for u in users:\n        requests.get(u.url, timeout=5)\n    eval(x)\n"
    )

    scanned = scan_file(make_job("shop/views.py", source), (), frozenset({"secrets"}))

    assert ("query-in-loop", 3) in [(f.rule, f.line) for f in scanned.findings]


def test_a_rule_scoped_to_payment_code_stays_out_of_other_code() -> None:
    rule = StructuralRule.model_validate(
        {
            "id": "x",
            "message": "m",
            "languages": ["python"],
            "needle": "float",
            "context": {"paths": ["**/billing/**"]},
            "rule": {"kind": "call"},
        }
    )
    source = "x = float(y)\n"

    def scanned(path: str) -> int:
        return len(scan_structure(make_job(path, source), frozenset(), rules=[rule]).findings)

    assert (scanned("app/billing/a.py"), scanned("app/charts.py")) == (1, 0)
