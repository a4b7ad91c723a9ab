"""The `patterns` scanner: bandit, detect-secrets and our line rules, on added lines only."""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml

from bot.config.levels import Severity
from bot.config.risk import PatternRule
from bot.engine.files import FileJob
from bot.engine.patterns import PatternRulesError, PatternScan, load_rules, scan_file
from bot.engine.patterns.bandit_scan import RULE_BY_TEST
from bot.engine.patterns.secrets_scan import MAX_CONFIRMED_LINE
from bot.engine.result import Location
from bot.engine.ruleset import Language, LanguageTable

ROOT = Path(__file__).resolve().parents[2]
RULES_FILE = ROOT / "bot" / "data" / "patterns.yml"
LANGUAGES_FILE = ROOT / "bot" / "data" / "languages.yml"


def _language_table() -> LanguageTable:
    document = yaml.safe_load(LANGUAGES_FILE.read_text(encoding="utf-8"))
    return LanguageTable(
        tuple(
            Language(
                id=entry["id"],
                extensions=tuple(entry.get("extensions", ())),
                filenames=tuple(entry.get("filenames", ())),
                prefixes=tuple(entry.get("prefixes", ())),
            )
            for entry in document["languages"]
        )
    )


LANGUAGES = _language_table()
BUILTIN_RULES = load_rules(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")))


def make_job(
    path: str,
    head_text: str | None,
    added: Iterable[int] | None = None,
    *,
    added_text: Mapping[int, str] | None = None,
) -> FileJob:
    """A changed file; without `added`, every line of the head text is added (a new file)."""
    head_lines = head_text.split("\n") if head_text is not None else []
    if added_text is None:
        numbers = range(1, len(head_lines) + 1) if added is None else added
        added_text = {n: head_lines[n - 1] for n in numbers}
    language = LANGUAGES.of(path)
    return FileJob(
        path=path,
        language=language.id if language else None,
        meter=None,
        base_text=None,
        head_text=head_text,
        added_lines=frozenset(added_text),
        added_text=MappingProxyType(dict(added_text)),
    )


def scan(
    path: str,
    head_text: str | None,
    added: Iterable[int] | None = None,
    *,
    disabled: Iterable[str] = (),
    rules: tuple[PatternRule, ...] = BUILTIN_RULES,
) -> PatternScan:
    return scan_file(make_job(path, head_text, added), rules, frozenset(disabled))


def scan_line(path: str, line: str, *, disabled: Iterable[str] = ()) -> PatternScan:
    """One added line; Python files get it as their whole head text, so bandit reads it too."""
    return scan(path, line, disabled=disabled)


def rules_of(found: PatternScan) -> list[str | None]:
    return [finding.rule for finding in found.findings]


def python(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


# --- our line rules: one true positive and one look-alike for each ------------------------------

FIRES = [
    # sql-string
    ("sql-string", "app.js", 'db.query("SELECT * FROM users WHERE id = " + req.params.id);'),
    ("sql-string", "Dao.java", 'st.executeQuery("SELECT * FROM users WHERE name = \'" + name);'),
    ("sql-string", "repo.go", 'rows, err := db.Query("SELECT * FROM users WHERE id = " + id)'),
    ("sql-string", "query.ts", "sql += ' AND status = ' + status;"),
    ("sql-string", "query.ts", 'sql += " AND id IN (" + ids.join(",") + ")";'),
    ("sql-string", "db.js", "await pool.query(`SELECT * FROM users WHERE id = ${id}`);"),
    ("sql-string", "db.ts", "const q = `SELECT ${columns} FROM orders`;"),
    ("sql-string", "db.ts", "where += ` AND name = '${name}'`;"),
    ("sql-string", "repo.go", "q := fmt.Sprintf(\"SELECT * FROM users WHERE name = '%s'\", name)"),
    ("sql-string", "Dao.java", 'String q = String.format("SELECT * FROM t WHERE id = %s", id);'),
    ("sql-string", "Dao.java", 'var q = "DELETE FROM users WHERE id = %s".formatted(id);'),
    ("sql-string", "Repo.kt", 'val sql = "SELECT * FROM users WHERE id = $id"'),
    ("sql-string", "Repo.scala", 'val q = s"SELECT * FROM users WHERE id = ${userId}"'),
    ("sql-string", "Repo.cs", 'var cmd = new SqlCommand($"SELECT * FROM Users WHERE Id = {id}");'),
    (
        "sql-string",
        "Repo.cs",
        "db.Users.FromSqlRaw($\"SELECT * FROM Users WHERE Name = '{name}'\")",
    ),
    ("sql-string", "repo.php", '$r = mysqli_query($conn, "SELECT * FROM users WHERE id = $id");'),
    ("sql-string", "repo.php", "$sql = 'SELECT * FROM users WHERE id = ' . $_GET['id'];"),
    ("sql-string", "user.rb", "User.where(\"name = '#{params[:name]}'\")"),
    ("sql-string", "user.rb", 'conn.execute("DELETE FROM users WHERE id = #{id}")'),
    ("sql-string", "repo.py", "query += f\" AND name = '{name}'\""),
    ("sql-string", "repo.py", 'sql = base + " WHERE id = " + str(user_id)'),
    ("sql-string", "repo.py", "clause = \" WHERE id = '%s'\" % user_id"),
    ("sql-string", "repo.py", 'q = "SELECT * FROM users WHERE name = \'" + name + "\'"'),
    ("sql-string", "repo.py", 'q = f"SELECT * FROM orders WHERE id = {order_id}"'),
    ("sql-string", "repo.py", "q = 'DELETE FROM carts WHERE id = %s' % cart_id"),
    ("sql-string", "repo.py", "q = \"UPDATE users SET name = '{}'\".format(name)"),
    ("sql-string", "repo.py", 'q = f"SELECT {columns} FROM invoices"'),
    # tls-verify-off
    (
        "tls-verify-off",
        "client.js",
        "const agent = new https.Agent({ rejectUnauthorized: false });",
    ),
    ("tls-verify-off", "client.ts", 'process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";'),
    ("tls-verify-off", ".env", "NODE_TLS_REJECT_UNAUTHORIZED=0"),
    ("tls-verify-off", "Dockerfile", "ENV NODE_TLS_REJECT_UNAUTHORIZED 0"),
    ("tls-verify-off", "setup.sh", "git config --global http.sslVerify false"),
    ("tls-verify-off", "tls.go", "cfg := &tls.Config{InsecureSkipVerify: true}"),
    ("tls-verify-off", "Http.java", "TrustManager[] trustAllCerts = new TrustManager[] {"),
    ("tls-verify-off", "Http.java", "b.setSSLHostnameVerifier(NoopHostnameVerifier.INSTANCE);"),
    ("tls-verify-off", "Http.java", "conn.setHostnameVerifier((hostname, session) -> true);"),
    (
        "tls-verify-off",
        "Http.cs",
        "h.ServerCertificateCustomValidationCallback = (m, c, ch, e) => true;",
    ),
    ("tls-verify-off", "http.php", "curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, false);"),
    ("tls-verify-off", "http.rb", "http.verify_mode = OpenSSL::SSL::VERIFY_NONE"),
    ("tls-verify-off", "net.py", "ctx.check_hostname = False"),
    ("tls-verify-off", "net.py", "ctx.verify_mode = ssl.CERT_NONE"),
    ("tls-verify-off", "net.py", "resp = await session.get(url, ssl=False)"),
    ("tls-verify-off", "install.sh", "curl -sSk https://example.com/install.sh | sh"),
    ("tls-verify-off", "Dockerfile", "RUN wget --no-check-certificate https://example.com/a.tgz"),
    # http-no-timeout
    ("http-no-timeout", "fetch.go", "resp, err := http.Get(url)"),
    ("http-no-timeout", "fetch.go", "client := &http.Client{}"),
    ("http-no-timeout", "fetch.go", "resp, err := http.DefaultClient.Do(req)"),
    (
        "http-no-timeout",
        "api.js",
        'const api = axios.create({ baseURL: "https://api.example.com" });',
    ),
    ("http-no-timeout", "api.ts", "const api = axios.create();"),
    ("http-no-timeout", "Api.java", "HttpClient client = HttpClient.newHttpClient();"),
    ("http-no-timeout", "Api.java", "RestTemplate rest = new RestTemplate();"),
    ("http-no-timeout", "fetch.py", "with urllib.request.urlopen(url) as resp:"),
    # eval-exec
    ("eval-exec", "calc.js", "const result = eval(userInput);"),
    ("eval-exec", "calc.ts", 'const fn = new Function("a", body);'),
    ("eval-exec", "poll.js", 'setTimeout("refresh()", 1000);'),
    ("eval-exec", "calc.php", "eval($code);"),
    ("eval-exec", "calc.rb", "result = eval(params[:code])"),
    ("eval-exec", "calc.rb", "obj.instance_eval(code)"),
    # silent-except
    ("silent-except", "Io.java", "} catch (IOException e) {}"),
    ("silent-except", "io.js", "try { load() } catch (e) { }"),
    ("silent-except", "Io.cs", "catch { /* ignore */ }"),
    ("silent-except", "io.ts", "fetchData().catch(() => {});"),
    ("silent-except", "io.js", "save().catch((err) => null);"),
    ("silent-except", "io.go", "if err != nil {}"),
    ("silent-except", "io.py", "with suppress(Exception):"),
    # weak-crypto
    (
        "weak-crypto",
        "auth.js",
        'const h = crypto.createHash("md5").update(password).digest("hex");',
    ),
    ("weak-crypto", "Auth.java", "String hashed = DigestUtils.md5Hex(password);"),
    ("weak-crypto", "auth.php", "$hash = md5($password);"),
    ("weak-crypto", "auth.go", "sum := sha1.Sum([]byte(password))"),
    ("weak-crypto", "Crypt.java", 'Cipher c = Cipher.getInstance("AES/ECB/PKCS5Padding");'),
    ("weak-crypto", "Crypt.java", 'Cipher c = Cipher.getInstance("DES");'),
    ("weak-crypto", "token.js", "const token = Math.random().toString(36).slice(2);"),
    # debug-enabled
    ("debug-enabled", "mysite/settings.py", "DEBUG = True"),
    ("debug-enabled", "app.py", "app.debug = True"),
    ("debug-enabled", "app.py", 'app.config["DEBUG"] = True'),
    ("debug-enabled", ".env", "DJANGO_DEBUG=True"),
    ("debug-enabled", "docker-compose.yml", "      FLASK_ENV: development"),
    ("debug-enabled", "index.php", "ini_set('display_errors', '1');"),
    # shell-injection
    ("shell-injection", "git.js", "exec(`git checkout ${branch}`, done);"),
    ("shell-injection", "git.ts", 'child_process.execSync("rm -rf " + dir);'),
    ("shell-injection", "git.js", "spawn(cmd, args, { shell: true });"),
    ("shell-injection", "run.go", 'cmd := exec.Command("sh", "-c", userCmd)'),
    ("shell-injection", "run.go", 'cmd := exec.Command("bash", "-c", "ls " + dir)'),
    ("shell-injection", "Run.java", 'Runtime.getRuntime().exec("ping " + host);'),
    ("shell-injection", "Run.java", 'new ProcessBuilder("sh", "-c", command).start();'),
    ("shell-injection", "run.php", '$out = shell_exec("ls " . $dir);'),
    ("shell-injection", "run.rb", 'system("tar xzf #{file}")'),
    ("shell-injection", "run.rb", "files = `ls #{dir}`"),
    ("shell-injection", "run.c", "system(cmd);"),
    # unsafe-deserialization
    ("unsafe-deserialization", "Io.java", "ObjectInputStream in = new ObjectInputStream(sock);"),
    ("unsafe-deserialization", "Io.java", "mapper.enableDefaultTyping();"),
    ("unsafe-deserialization", "Io.cs", "var formatter = new BinaryFormatter();"),
    ("unsafe-deserialization", "Io.cs", "TypeNameHandling = TypeNameHandling.All,"),
    ("unsafe-deserialization", "io.php", "$data = unserialize($_COOKIE['data']);"),
    ("unsafe-deserialization", "io.rb", "obj = Marshal.load(data)"),
    ("unsafe-deserialization", "io.rb", "config = YAML.unsafe_load(text)"),
    # bidi-control
    ("bidi-control", "auth.py", 'if role != "user\u202e \u2066// admin\u2069 \u2066":'),
    ("bidi-control", "auth.js", "/* \u2067 */ access = 'granted';"),
    # xss-sink (templates; scripts are structural rules, tests/test_structural.py)
    ("xss-sink", "templates/profile.html", "<p>{{ user.bio|safe }}</p>"),
    ("xss-sink", "templates/page.twig", "<div>{{ page.body|raw }}</div>"),
    ("xss-sink", "src/Post.vue", '<div v-html="post.body"></div>'),
    ("xss-sink", "src/Post.svelte", "<div>{@html post.body}</div>"),
    ("xss-sink", "src/app/post.component.html", '<div [innerHTML]="post.body"></div>'),
    ("xss-sink", "views/post.ejs", "<div><%- post.body %></div>"),
    ("xss-sink", "views/post.hbs", "<div>{{{post.body}}}</div>"),
]

LOOK_ALIKES = [
    # sql-string
    ("sql-string", "app.js", 'db.query("SELECT * FROM users WHERE id = ?", [req.params.id]);'),
    ("sql-string", "Dao.java", 'ps = conn.prepareStatement("SELECT * FROM users WHERE name = ?");'),
    ("sql-string", "msg.js", 'const text = "Hello and welcome, " + name;'),
    ("sql-string", "Dao.java", 'String sql = "SELECT * FROM users" + " WHERE id = ?";'),
    ("sql-string", "db.js", "const rows = await sql`SELECT * FROM users WHERE id = ${id}`;"),
    ("sql-string", "db.ts", "const label = `Please select ${count} items`;"),
    ("sql-string", "db.ts", "await pool.query(`SELECT * FROM users WHERE id = $1`, [id]);"),
    ("sql-string", "repo.go", 'row := db.QueryRow("SELECT * FROM users WHERE id = $1", id)'),
    ("sql-string", "repo.go", 'msg := fmt.Sprintf("user %s selected from the list", name)'),
    ("sql-string", "Dao.java", 'String msg = String.format("Found %s users", count);'),
    ("sql-string", "Repo.kt", 'val sql = "SELECT * FROM users WHERE id = $1"'),
    (
        "sql-string",
        "Repo.cs",
        'db.Users.FromSqlInterpolated($"SELECT * FROM Users WHERE Id = {id}")',
    ),
    ("sql-string", "Repo.cs", 'var cmd = new SqlCommand("SELECT * FROM Users WHERE Id = @id");'),
    ("sql-string", "repo.php", '$stmt = $pdo->prepare("SELECT * FROM users WHERE id = ?");'),
    ("sql-string", "user.rb", 'User.where("name = ?", params[:name])'),
    ("sql-string", "user.rb", 'puts "Hello #{name}"'),
    ("sql-string", "repo.py", 'query += " AND name = %s"'),
    ("sql-string", "repo.py", 'message = f"{count} items and {more} more"'),
    ("sql-string", "check.py", 'reason = f"length >= {low} and length <= {high}"'),
    ("sql-string", "check.py", 'raise LookupError(f"{name} is not a module or package in {root}")'),
    ("sql-string", "url.py", 'if zone.startswith("%25") and zone != "%25":'),
    ("sql-string", "repo.py", 'cur.execute("SELECT * FROM users WHERE id = %s", (user_id,))'),
    ("sql-string", "repo.py", 'SQL = "SELECT * FROM users WHERE id = ?"'),
    ("sql-string", "repo.py", 'log.info(f"{count} rows selected from the cache")'),
    ("sql-string", "repo.py", 'msg = "selected from " + name'),
    # tls-verify-off
    ("tls-verify-off", "client.js", "const agent = new https.Agent({ rejectUnauthorized: true });"),
    ("tls-verify-off", ".env", "NODE_TLS_REJECT_UNAUTHORIZED=1"),
    ("tls-verify-off", "tls.go", "cfg := &tls.Config{MinVersion: tls.VersionTLS12}"),
    ("tls-verify-off", "Http.java", "conn.setHostnameVerifier(new DefaultHostnameVerifier());"),
    (
        "tls-verify-off",
        "Http.cs",
        "h.ServerCertificateCustomValidationCallback = ValidateCertificate;",
    ),
    ("tls-verify-off", "http.php", "curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, true);"),
    ("tls-verify-off", "http.rb", "http.verify_mode = OpenSSL::SSL::VERIFY_PEER"),
    ("tls-verify-off", "net.py", "ctx.check_hostname = True"),
    ("tls-verify-off", "net.py", "ctx.verify_mode = ssl.CERT_REQUIRED"),
    ("tls-verify-off", "net.py", "if ctx.verify_mode != ssl.CERT_NONE:"),
    ("tls-verify-off", "install.sh", "curl -fsSL https://example.com/install.sh | sh"),
    ("tls-verify-off", "install.sh", "curl -K curl.config https://example.com/"),
    # http-no-timeout
    ("http-no-timeout", "fetch.go", "client := &http.Client{Timeout: 10 * time.Second}"),
    (
        "http-no-timeout",
        "fetch.go",
        "req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)",
    ),
    ("http-no-timeout", "api.js", "const api = axios.create({ baseURL, timeout: 5000 });"),
    (
        "http-no-timeout",
        "Api.java",
        "HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();",
    ),
    ("http-no-timeout", "fetch.py", "with urllib.request.urlopen(url, timeout=10) as resp:"),
    # eval-exec
    ("eval-exec", "calc.js", "const result = JSON.parse(userInput);"),
    ("eval-exec", "train.js", "model.eval();"),
    ("eval-exec", "poll.js", "setTimeout(refresh, 1000);"),
    ("eval-exec", "calc.php", "$evaluator->eval($code);"),
    ("eval-exec", "calc.rb", "obj.instance_eval { @secret }"),
    # silent-except
    ("silent-except", "Io.java", '} catch (IOException e) { log.warn("read failed", e); }'),
    ("silent-except", "io.ts", "fetchData().catch((err) => logger.error(err));"),
    ("silent-except", "io.go", "if err != nil { return err }"),
    ("silent-except", "io.py", "with suppress(FileNotFoundError):"),
    # weak-crypto
    (
        "weak-crypto",
        "sum.js",
        'const d = crypto.createHash("md5").update(fileContents).digest("hex");',
    ),
    ("weak-crypto", "auth.js", "const hash = await bcrypt.hash(password, 12);"),
    ("weak-crypto", "Crypt.java", 'Cipher c = Cipher.getInstance("AES/GCM/NoPadding");'),
    ("weak-crypto", "retry.js", "const jitter = Math.random() * 100;"),
    # debug-enabled
    ("debug-enabled", "mysite/settings.py", 'DEBUG = os.environ.get("DEBUG") == "1"'),
    ("debug-enabled", "tests/test_views.py", "DEBUG = True"),
    ("debug-enabled", "app.py", "app.debug = False"),
    ("debug-enabled", ".env", "DJANGO_DEBUG=False"),
    ("debug-enabled", "index.php", "ini_set('display_errors', '0');"),
    # shell-injection
    ("shell-injection", "git.js", 'execFile("git", ["checkout", branch], done);'),
    ("shell-injection", "parse.js", "const match = pattern.exec(input);"),
    ("shell-injection", "run.go", 'cmd := exec.Command("git", "log", ref)'),
    ("shell-injection", "run.go", 'cmd := exec.Command("sh", "-c", "make build")'),
    ("shell-injection", "Run.java", 'new ProcessBuilder("ping", "-c", "1", host).start();'),
    ("shell-injection", "run.php", '$out = shell_exec("ls " . escapeshellarg($dir));'),
    ("shell-injection", "run.rb", 'system("tar", "xzf", file)'),
    ("shell-injection", "run.c", 'system("clear");'),
    # unsafe-deserialization
    ("unsafe-deserialization", "Io.java", "ObjectOutputStream out = new ObjectOutputStream(sock);"),
    ("unsafe-deserialization", "Io.cs", "var order = JsonSerializer.Deserialize<Order>(json);"),
    (
        "unsafe-deserialization",
        "io.php",
        "$data = unserialize($raw, ['allowed_classes' => false]);",
    ),
    ("unsafe-deserialization", "io.rb", "config = YAML.safe_load(text)"),
    # bidi-control
    ("bidi-control", "i18n.js", 'const greeting = "\u05e9\u05dc\u05d5\u05dd\u200f";'),
    # xss-sink: a literal marked safe, plain-text templates, escaped output, includes
    ("xss-sink", "templates/base.html", '<p>{{ "<br>"|safe }}</p>'),
    ("xss-sink", "templates/alert_subject.html", "{{ check.name|safe }} is DOWN"),
    ("xss-sink", "templates/profile.html", "<p>{{ user.bio }}</p>"),
    ("xss-sink", "src/Post.vue", '<div v-text="post.body"></div>'),
    ("xss-sink", "views/post.ejs", "<%- include('header') %>"),
    ("xss-sink", "views/post.hbs", "<div>{{post.body}}</div>"),
]


@pytest.mark.parametrize(("rule_id", "path", "line"), FIRES)
def test_line_rule_fires_on_true_positive(rule_id: str, path: str, line: str) -> None:
    found = scan_line(path, line)

    assert rule_id in rules_of(found), found


@pytest.mark.parametrize(("rule_id", "path", "line"), LOOK_ALIKES)
def test_line_rule_stays_quiet_on_look_alike(rule_id: str, path: str, line: str) -> None:
    found = scan_line(path, line)

    assert rule_id not in rules_of(found), found


@pytest.mark.parametrize("index", range(len(BUILTIN_RULES)))
def test_every_builtin_rule_fires_on_a_listed_true_positive(index: int) -> None:
    rule = BUILTIN_RULES[index]
    hits = [
        line
        for rule_id, path, line in FIRES
        if rule_id == rule.id
        # head text None: bandit stays out, so only this one rule can fire
        and scan_file(
            make_job(path, None, added_text={1: line}), (rule,), frozenset({"secrets"})
        ).findings
    ]

    assert hits, f"no true positive in FIRES for rule {index} ({rule.id}: {rule.message})"


def test_every_rule_id_has_a_listed_look_alike() -> None:
    ids = {rule.id for rule in BUILTIN_RULES} | set(RULE_BY_TEST.values())
    covered = {rule_id for rule_id, _, _ in LOOK_ALIKES} | {r for r, _ in BANDIT_LOOK_ALIKES}

    assert ids - covered == set()


def test_line_rule_finding_carries_rule_message_severity_and_cwe() -> None:
    found = scan_line("app.js", 'db.query("SELECT * FROM users WHERE id = " + id);')

    assert found.findings == (
        Location(
            path="app.js",
            line=1,
            message="SQL built by string concatenation; pass values as bound parameters "
            "(?, $1, :name).",
            rule="sql-string",
            severity=Severity.HIGH,
            cwe=89,
        ),
    )


def test_rule_scoped_to_other_languages_does_not_fire() -> None:
    found = scan_line("notes.md", "cfg := &tls.Config{InsecureSkipVerify: true}")

    assert found.findings == ()


def test_rule_with_paths_fires_only_on_matching_paths() -> None:
    rule = PatternRule(
        id="no-print", message="Use the logger.", pattern=r"\bprint\(", paths=["scripts/**"]
    )

    in_scope = scan("scripts/run.js", "print(x)", rules=(rule,))
    out_of_scope = scan("src/run.js", "print(x)", rules=(rule,))

    assert (rules_of(in_scope), rules_of(out_of_scope)) == (["no-print"], [])


def test_repo_rule_without_languages_applies_to_files_of_unknown_language() -> None:
    rule = PatternRule(id="todo-secret", message="Remove it.", pattern=r"todo:\s*secret")

    found = scan("Makefile", "# TODO: secret goes here", rules=(rule,))

    assert rules_of(found) == ["todo-secret"]


def test_each_call_uses_the_rules_it_is_given() -> None:
    first = (PatternRule(id="first", message="m", pattern="alpha"),)
    second = (PatternRule(id="second", message="m", pattern="alpha"),)
    equal_to_first = (PatternRule(id="first", message="m", pattern="alpha"),)

    seen = [
        rules_of(scan("a.txt", "alpha", rules=rules))
        for rules in (first, second, equal_to_first, second)
    ]

    assert seen == [["first"], ["second"], ["first"], ["second"]]


def test_line_rules_read_only_added_lines() -> None:
    head = "const a = eval(x);\nconst b = 1;\n"

    found = scan("calc.js", head, added=[2])

    assert found.findings == ()


def test_unless_pattern_keeps_rule_quiet_on_its_line() -> None:
    rule = PatternRule(id="get-call", message="m", pattern=r"\bget\(", unless=r"cache")

    found = scan("a.js", "get(url)\ncache.get(url)", rules=(rule,))

    assert [f.line for f in found.findings] == [1]


# --- bandit --------------------------------------------------------------------------------------

BANDIT_FIRES = [
    ("sql-string", "B608", 'cur.execute("SELECT * FROM users WHERE id = %s" % user_id)'),
    ("eval-exec", "B307", "value = eval(expression)"),
    ("eval-exec", "B102", "exec(code)"),
    ("shell-injection", "B602", "subprocess.run(command, shell=True)"),
    ("shell-injection", "B605", "os.system(command)"),
    ("tls-verify-off", "B501", "requests.get(url, verify=False, timeout=5)"),
    ("http-no-timeout", "B113", "requests.get(url)"),
    ("hardcoded-secret", "B105", 'password = "Zq8rT2wLx5"'),
    ("unsafe-deserialization", "B301", "obj = pickle.loads(blob)"),
    ("unsafe-deserialization", "B506", "config = yaml.load(text)"),
    ("weak-crypto", "B324", "digest = hashlib.md5(data).hexdigest()"),
    ("weak-crypto", "B311", 'token = "".join(random.choice(ALPHABET) for _ in range(32))'),
    ("debug-enabled", "B201", "app.run(debug=True)"),
    ("B104", "B104", 'app.run(host="0.0.0.0")'),
]

BANDIT_LOOK_ALIKES = [
    ("sql-string", 'cur.execute("SELECT * FROM users WHERE id = %s", (user_id,))'),
    ("eval-exec", "value = ast.literal_eval(expression)"),
    ("shell-injection", 'subprocess.run(["git", "log", ref], check=True)'),
    ("tls-verify-off", "requests.get(url, verify=True, timeout=5)"),
    ("http-no-timeout", "requests.get(url, timeout=5)"),
    ("hardcoded-secret", 'password = os.environ["DB_PASSWORD"]'),
    ("unsafe-deserialization", "config = yaml.safe_load(text)"),
    ("weak-crypto", "digest = hashlib.sha256(data).hexdigest()"),
    ("weak-crypto", "delay = base * random.random()"),
    ("debug-enabled", "app.run(debug=False)"),
]

PYTHON_HEADER = (
    "import ast, hashlib, os, pickle, random, subprocess\nimport requests, yaml\n"
    "from flask import Flask\n\napp = Flask(__name__)\n\n\ndef handler(*args):\n"
)


def python_file(body_line: str) -> tuple[str, int]:
    """A module whose handler holds `body_line`, and that line's number."""
    return PYTHON_HEADER + f"    {body_line}\n", PYTHON_HEADER.count("\n") + 1


@pytest.mark.parametrize(("rule_id", "test_id", "line"), BANDIT_FIRES)
def test_bandit_finding_on_added_line_maps_to_rule_id(
    rule_id: str, test_id: str, line: str
) -> None:
    source, number = python_file(line)

    found = scan("app/handlers.py", source, added=[number])

    assert (rule_id, f"bandit {test_id}", number) in {
        (f.rule, f.source, f.line) for f in found.findings
    }, found


@pytest.mark.parametrize(("rule_id", "line"), BANDIT_LOOK_ALIKES)
def test_bandit_stays_quiet_on_look_alike(rule_id: str, line: str) -> None:
    source, number = python_file(line)

    found = scan("app/handlers.py", source, added=[number])

    assert rule_id not in rules_of(found), found


def test_bandit_silent_except_on_added_handler() -> None:
    source = python(
        """
        def load(path):
            try:
                return open(path).read()
            except Exception:
                pass
        """
    )

    found = scan("io_utils.py", source, added=[4, 5])

    assert [(f.rule, f.source, f.line) for f in found.findings] == [
        ("silent-except", "bandit B110", 4)
    ]


def test_bandit_look_alike_silent_except_logs_the_error() -> None:
    source = python(
        """
        import logging

        def load(path):
            try:
                return open(path).read()
            except Exception:
                logging.exception("cannot read %s", path)
        """
    )

    assert rules_of(scan("io_utils.py", source)) == []


def test_bandit_sql_finding_carries_cwe_advice_and_our_high_severity() -> None:
    source, number = python_file('cur.execute("SELECT * FROM t WHERE id = %s" % user_id)')

    (finding,) = scan("repo.py", source, added=[number]).findings

    assert finding == Location(
        path="repo.py",
        line=number,
        message="Possible SQL injection vector through string-based query construction: "
        "pass values as query parameters instead of formatting them into SQL",
        rule="sql-string",
        severity=Severity.HIGH,
        source="bandit B608",
        cwe=89,
    )


def test_bandit_severity_is_kept_for_ids_without_a_floor() -> None:
    source, number = python_file("value = eval(expression)")

    (finding,) = scan("calc.py", source, added=[number]).findings

    assert (finding.source, finding.severity) == ("bandit B307", Severity.MEDIUM)


def test_bandit_password_message_does_not_quote_the_password() -> None:
    source, number = python_file('password = "correct-horse-battery"')

    (finding,) = scan("settings_local.py", source, added=[number]).findings

    assert "correct-horse-battery" not in finding.message


def test_bandit_finding_on_unchanged_line_is_not_reported() -> None:
    source = python(
        """
        def run(expression):
            value = eval(expression)
            total = value + 1
            return total
        """
    )

    found = scan("calc.py", source, added=[3])

    assert found.findings == ()


def test_bandit_multiline_call_is_reported_when_any_of_its_lines_is_added() -> None:
    source = python(
        """
        import subprocess

        def run(command):
            subprocess.run(
                command,
                shell=True,
            )
        """
    )

    found = scan("run.py", source, added=[6])

    assert [(f.rule, f.line) for f in found.findings] == [("shell-injection", 6)]


def test_bandit_default_password_reported_when_signature_line_added() -> None:
    source = python(
        """
        def connect(host,
                    password="Zq8rT2wLx5"):
            return open_connection(host, password)
        """
    )

    found = scan("db.py", source, added=[2])

    assert [(f.rule, f.source, f.line) for f in found.findings] == [
        ("hardcoded-secret", "bandit B107", 2)
    ]


def test_bandit_default_password_not_reported_when_only_body_changed() -> None:
    source = python(
        """
        def connect(host, password="Zq8rT2wLx5"):
            timeout = 5
            return open_connection(host, password, timeout)
        """
    )

    found = scan("db.py", source, added=[2])

    assert found.findings == ()


@pytest.mark.parametrize("comment", ["# nosec", "# nosec B602", "# nosec: B602"])
def test_bandit_honours_nosec(comment: str) -> None:
    source, number = python_file(f"subprocess.run(command, shell=True)  {comment}")

    assert rules_of(scan("run.py", source, added=[number])) == []


def test_nosec_for_another_test_does_not_silence_the_finding() -> None:
    source, number = python_file("subprocess.run(command, shell=True)  # nosec B101")

    assert rules_of(scan("run.py", source, added=[number])) == ["shell-injection"]


def test_bandit_resolves_import_alias_from_unchanged_top_of_file() -> None:
    source = python(
        """
        from subprocess import call as run_command


        def unrelated():
            return 1


        def deploy(target):
            run_command("deploy " + target, shell=True)
        """
    )

    found = scan("deploy.py", source, added=[9])

    assert [(f.rule, f.source) for f in found.findings] == [("shell-injection", "bandit B602")]


def test_bandit_reads_changed_method_in_class_and_not_its_unchanged_siblings() -> None:
    source = python(
        """
        import subprocess


        class Runner:
            '''Runs things.'''

            def old(self, command):
                return eval(command)

            def new(self, command):
                return subprocess.run(command, shell=True)
        """
    )

    found = scan("runner.py", source, added=[11])

    assert [(f.rule, f.line) for f in found.findings] == [("shell-injection", 11)]


def test_bandit_finds_issue_in_class_attribute_when_no_method_changed() -> None:
    source = python(
        """
        class Settings:
            def unchanged(self):
                return eval(self.expr)

            password = "Zq8rT2wLx5"
        """
    )

    found = scan("conf.py", source, added=[5])

    assert [(f.rule, f.line) for f in found.findings] == [("hardcoded-secret", 5)]


def test_bandit_finds_issue_when_only_class_header_changed() -> None:
    source = python(
        """
        class Handler(Base, secret=eval(SETTING)):
            def unchanged(self):
                return eval(self.expr)
        """
    )

    found = scan("handler.py", source, added=[1])

    assert [(f.rule, f.line) for f in found.findings] == [("eval-exec", 1)]


def test_bandit_reads_whole_file_when_trimmed_text_does_not_parse() -> None:
    # Line 2 ends the unchanged `x = (...)` and starts the changed call: trimming would keep
    # line 2 without line 1.
    source = "x = (1,\n     2); y = run(\n    eval(z))\n"

    found = scan("calc.py", source, added=[3])

    assert [(f.rule, f.source, f.line) for f in found.findings] == [("eval-exec", "bandit B307", 3)]


def test_bandit_handles_file_with_coding_declaration() -> None:
    source = "# -*- coding: latin-1 -*-\nimport os\nname = 'caf\u00e9'\nos.system(name)\n"

    found = scan("legacy.py", source, added=[4])

    assert [(f.rule, f.line) for f in found.findings] == [("shell-injection", 4)]


def test_bandit_handles_windows_line_endings() -> None:
    source = "import os\r\n\r\ndef run(cmd):\r\n    os.system(cmd)\r\n"

    found = scan("win.py", source, added=[4])

    assert [(f.rule, f.line) for f in found.findings] == [("shell-injection", 4)]


@pytest.mark.parametrize("added", [None, [2, 3]], ids=["new file", "two lines added"])
def test_python_syntax_error_is_skipped_with_reason_while_line_rules_and_secrets_run(
    added: list[int] | None,
) -> None:
    token = "ghp_" + "A1b2C3d4" * 4 + "E5f6"
    source = python(
        f"""
        def broken(:
            ctx.check_hostname = False
            TOKEN = "{token}"
            return 1

        VERSION = 2
        """
    )

    found = scan("broken.py", source, added)

    assert [(f.rule, f.line) for f in found.findings] == [
        ("tls-verify-off", 2),
        ("hardcoded-secret", 3),
    ]
    assert [(s.path, s.reason) for s in found.skipped] == [
        (
            "broken.py",
            "python syntax error at line 1: bandit could not parse it; "
            "line rules and secret detectors still ran",
        )
    ]


def test_python_without_head_text_runs_line_rules_and_says_bandit_did_not_run() -> None:
    job = make_job("net.py", None, added_text={7: "ctx.check_hostname = False", 8: "eval(x)"})

    found = scan_file(job, BUILTIN_RULES, frozenset())

    assert [(f.rule, f.line) for f in found.findings] == [("tls-verify-off", 7)]
    assert [s.reason for s in found.skipped] == [
        "head text not available: bandit did not run; line rules and secret detectors still ran"
    ]


def test_non_python_file_without_head_text_is_scanned_without_skip() -> None:
    job = make_job("client.js", None, added_text={3: "eval(input);"})

    found = scan_file(job, BUILTIN_RULES, frozenset())

    assert ([(f.rule, f.line) for f in found.findings], found.skipped) == (
        [("eval-exec", 3)],
        (),
    )


def test_file_with_no_added_lines_reports_nothing() -> None:
    found = scan("calc.py", "eval(x)\n", added=[])

    assert found == PatternScan()


def test_same_rule_on_same_line_from_two_sources_is_reported_once_at_highest_severity() -> None:
    token = "ghp_" + "A1b2C3d4" * 4 + "E5f6"
    source, number = python_file(f'password = "{token}"')

    found = scan("conf.py", source, added=[number])

    assert [(f.rule, f.severity, f.source) for f in found.findings] == [
        ("hardcoded-secret", Severity.HIGH, "detect-secrets GitHubTokenDetector")
    ]


# --- disabled ids --------------------------------------------------------------------------------


def test_disabling_our_id_drops_line_rule_and_mapped_bandit_tests() -> None:
    source = python(
        """
        def find(cur, user_id, name):
            cur.execute("SELECT * FROM users WHERE id = %s" % user_id)
            query = f" AND name = '{name}'"
        """
    )

    found = scan("repo.py", source, disabled={"sql-string"})

    assert found.findings == ()


def test_disabling_bandit_test_id_drops_only_that_test() -> None:
    source, number = python_file("subprocess.run(command, shell=True); os.system(command)")

    found = scan("run.py", source, added=[number], disabled={"B602"})

    assert [f.source for f in found.findings] == ["bandit B605"]


def test_disabled_ids_are_compared_case_insensitively() -> None:
    source, number = python_file("subprocess.run(command, shell=True)")

    found = scan("run.py", source, added=[number], disabled={"b602"})

    assert found.findings == ()


def test_disabling_unmapped_bandit_test_by_id() -> None:
    source, number = python_file('app.run(host="0.0.0.0")')

    found = scan("app.py", source, added=[number], disabled={"B104"})

    assert "B104" not in rules_of(found)


def test_disabling_secrets_drops_every_secret_detector_but_not_bandit() -> None:
    token = "ghp_" + "A1b2C3d4" * 4 + "E5f6"
    source, number = python_file(f'password = "{token}"')

    found = scan("conf.py", source, added=[number], disabled={"secrets"})

    assert [f.source for f in found.findings] == ["bandit B105"]


def test_disabling_one_secret_detector_by_class_name() -> None:
    aws = "AKIA" + "IOSFODNN7EXAMPLE"
    github = "ghp_" + "A1b2C3d4" * 4 + "E5f6"

    found = scan("keys.txt", f"{aws}\n{github}", disabled={"AWSKeyDetector"})

    assert [(f.line, f.source) for f in found.findings] == [
        (2, "detect-secrets GitHubTokenDetector")
    ]


def test_disabled_line_rule_id_leaves_other_rules_running() -> None:
    found = scan(
        "a.js",
        "eval(x); const d = crypto.createHash('md5').update(password);",
        disabled={"eval-exec"},
    )

    assert rules_of(found) == ["weak-crypto"]


# --- secrets -------------------------------------------------------------------------------------


def _jwt() -> str:
    def part(value: object) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': '42'})}.c2lnbmF0dXJl"


# Built at run time so this file holds no secret-shaped literal for scanners to trip on.
SECRETS = {
    "AWSKeyDetector": "AKIA" + "Q3ZP7W2LMN4TB8XR",
    "GitHubTokenDetector": "ghp_" + "A1b2C3d4" * 4 + "E5f6",
    "SlackDetector": "xoxb-" + "2837465019-" + "Kq8zR2lm9Tx4Vb7N",
    "StripeDetector": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "PrivateKeyDetector": "-----BEGIN " + "RSA PRIVATE KEY-----",
    "BasicAuthDetector": "https://deploy:" + "Kq8zR2lm9" + "@git.acme-corp.io/repo.git",
    "JwtTokenDetector": _jwt(),
    "GitLabTokenDetector": "glpat-" + "Kq8zR2lm9Tx4Vb7Nw3Yp",
}


@pytest.mark.parametrize(("detector", "secret"), SECRETS.items())
def test_secret_on_added_line_is_reported_without_the_secret(detector: str, secret: str) -> None:
    found = scan("config/deploy.yml", f'token: "{secret}"')

    assert [(f.rule, f.source, f.severity, f.cwe) for f in found.findings] == [
        ("hardcoded-secret", f"detect-secrets {detector}", Severity.HIGH, 798)
    ]
    assert secret not in found.findings[0].message


@pytest.mark.parametrize(
    "line",
    [
        'aws_key = "AKIAXXXXXXXX"',
        'aws_key = os.environ["AWS_ACCESS_KEY_ID"]',
        'url = "https://example.com/repo.git"',
        'token = "ghp_short"',
        'url = "https://deploy:<password>@example.com/repo.git"',
        'url = "https://deploy:{password}@example.com/repo.git"',
    ],
)
def test_secret_look_alike_is_not_reported(line: str) -> None:
    assert rules_of(scan("notes.txt", line)) == []


@pytest.mark.parametrize(
    "line",
    [
        '"{secret}"  # pragma: allowlist secret',
        '"{secret}"  // pragma: allowlist secret',
        '"{secret}"  /* pragma: whitelist secret */',
    ],
)
def test_secret_with_allowlist_pragma_is_not_reported(line: str) -> None:
    text = line.format(secret=SECRETS["GitHubTokenDetector"])

    assert rules_of(scan("fixtures.txt", text)) == []


def test_allowlist_nextline_pragma_on_unchanged_line_above_is_honoured() -> None:
    head = f'# pragma: allowlist nextline secret\nTOKEN = "{SECRETS["AWSKeyDetector"]}"\n'

    found = scan("fixtures.txt", head, added=[2])

    assert found.findings == ()


def test_secret_on_unchanged_line_is_not_reported() -> None:
    head = f'TOKEN = "{SECRETS["AWSKeyDetector"]}"\nother = 1\n'

    found = scan("config.txt", head, added=[2])

    assert found.findings == ()


def test_lock_files_are_not_searched_for_secrets() -> None:
    line = '"resolved": "https://deploy:Kq8zR2lm9@registry.acme-corp.io/a.tgz",'

    elsewhere = rules_of(scan("web/registry.json", line))
    in_lock_file = rules_of(scan("web/package-lock.json", line))

    assert (elsewhere, in_lock_file) == (["hardcoded-secret"], [])


def test_secret_found_on_line_with_non_ascii_text() -> None:
    found = scan("conf.txt", f'clé = "{SECRETS["StripeDetector"]}"  # ключ')

    assert [f.source for f in found.findings] == ["detect-secrets StripeDetector"]


def test_secret_found_on_very_long_line() -> None:
    line = "x" * MAX_CONFIRMED_LINE + f" {SECRETS['GitHubTokenDetector']}"

    found = scan("bundle.txt", line)

    assert [f.source for f in found.findings] == ["detect-secrets GitHubTokenDetector"]


# --- load_rules ----------------------------------------------------------------------------------


def test_builtin_rules_file_validates() -> None:
    assert {rule.id for rule in BUILTIN_RULES} == {
        "sql-string",
        "tls-verify-off",
        "http-no-timeout",
        "eval-exec",
        "silent-except",
        "weak-crypto",
        "debug-enabled",
        "shell-injection",
        "unsafe-deserialization",
        "bidi-control",
        "xss-sink",
    }


def test_load_rules_rejects_pattern_re2_cannot_compile() -> None:
    document = {"rules": [{"id": "x", "message": "m", "pattern": "(?<=a)b"}]}

    with pytest.raises(PatternRulesError, match=r"rules\.0\.pattern"):
        load_rules(document)


def test_load_rules_rejects_unknown_keys() -> None:
    document = {"rules": [], "extra": 1}

    with pytest.raises(PatternRulesError, match="extra"):
        load_rules(document)


def test_load_rules_rejects_document_that_is_not_a_mapping() -> None:
    with pytest.raises(PatternRulesError):
        load_rules(["rules"])


def test_bidi_control_in_the_file_name_is_reported_once_without_a_line() -> None:
    found = scan("src/\u2067admin\u2069.js", "const a = 1;")

    assert [(f.path, f.line, f.rule, f.severity) for f in found.findings] == [
        ("src/\u2067admin\u2069.js", None, "bidi-control", Severity.HIGH)
    ]
    assert (
        scan("src/\u2067admin\u2069.js", "const a = 1;", disabled={"BIDI-control"}).findings == ()
    )
