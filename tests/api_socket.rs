//! Real-socket tests: start the `ipledge serve` binary on loopback, talk HTTP/1.1 over a plain
//! `TcpStream`, kill it with SIGKILL or SIGTERM, restart it on the same database.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

mod support;

const BIN: &str = env!("CARGO_BIN_EXE_ipledge");

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(database_url: &str, extra: &[&str]) -> Server {
        Server::spawn(&mut Command::new(BIN), database_url, extra)
    }

    fn spawn(command: &mut Command, database_url: &str, extra: &[&str]) -> Server {
        let mut child = command
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ipledge serve");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(a) = line.strip_prefix("listening on ") {
                break a.trim().parse().unwrap();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr }
    }

    /// Starts the server with its address space limited to `limit_mib` (bash `ulimit -v`):
    /// an input that made it allocate without bound would kill it.
    fn start_limited(database_url: &str, extra: &[&str], limit_mib: u64) -> Server {
        Server::spawn(
            Command::new("bash")
                .args([
                    "-c",
                    &format!("ulimit -v {}; exec \"$0\" \"$@\"", limit_mib * 1024),
                    BIN,
                ])
                .env("MALLOC_ARENA_MAX", "2"),
            database_url,
            extra,
        )
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn request(&self, method: &str, path: &str, key: Option<&str>, body: Option<&str>) -> Reply {
        request(self.addr, method, path, key, body, &[])
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn assert_problem(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(self.body["status"], status, "{}", self.text);
    }
}

fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
    extra_headers: &[(&str, &str)],
) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(k) = key {
        head.push_str(&format!("Authorization: Bearer {k}\r\n"));
    }
    for (k, v) in extra_headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    if method == "POST" {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before reading a large body.
    let _ = stream.write_all(body.as_bytes());
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, rest) = text.split_once("\r\n\r\n").expect("http response head");
    let mut lines = head.lines();
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body_text = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Reply {
        status,
        body: serde_json::from_str(&body_text).unwrap_or(Value::Null),
        headers,
        text: body_text,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// `ipledge keys create`: (secret, key id).
fn create_key(database_url: &str, tenant: &str, role: &str) -> (String, String) {
    let out = Command::new(BIN)
        .args(["keys", "create", "--tenant", tenant, "--role", role])
        .args(["--database-url", database_url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let id = stderr
        .split_whitespace()
        .find(|w| w.starts_with("key_"))
        .unwrap()
        .to_string();
    (secret, id)
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("ipledge.db").display())
}

/// Puts a scored application in the store directly (for routes that read them back).
fn seed_application(database_url: &str, tenant: &str) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = ipledge::store::Store::connect(database_url).await.unwrap();
        let id = ipledge::store::new_id("app").unwrap();
        store
            .insert_application(
                &ipledge::store::ApplicationRecord {
                    id: id.clone(),
                    tenant: tenant.to_string(),
                    created_at: ipledge::store::now_rfc3339(),
                    decision: "approve".into(),
                    model_id: "m".into(),
                    model_sha256: "00".into(),
                    seed: 1,
                    paths: 1000,
                    input: "{}".into(),
                    output: r#"{"decision":"approve"}"#.into(),
                },
                None,
                None,
            )
            .await
            .unwrap();
        store.close().await;
        id
    })
}

#[test]
fn auth_none_wrong_and_revoked_keys_are_401() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let (key, key_id) = create_key(&url, "bank-a", "bank");
    let server = Server::start(&url, &[]);
    server
        .request("GET", "/v1/applications", None, None)
        .assert_problem(401);
    server
        .request("GET", "/v1/applications", Some("0123456789abcdef"), None)
        .assert_problem(401);
    let ok = server.request("GET", "/v1/applications", Some(&key), None);
    assert_eq!(ok.status, 200, "{}", ok.text);
    let out = Command::new(BIN)
        .args(["keys", "revoke", &key_id, "--database-url", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    server
        .request("GET", "/v1/applications", Some(&key), None)
        .assert_problem(401);
    // Ops routes are public.
    assert_eq!(server.request("GET", "/healthz", None, None).status, 200);
    assert_eq!(server.request("GET", "/readyz", None, None).status, 200);
    assert_eq!(
        server.request("GET", "/openapi.json", None, None).status,
        200
    );
}

#[test]
fn tenant_isolation_and_bad_inputs_over_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let (bank_a, _) = create_key(&url, "bank-a", "bank");
    let (bank_b, _) = create_key(&url, "bank-b", "bank");
    let id = seed_application(&url, "bank-a");
    let server = Server::start(&url, &["--max-body-bytes", "4096"]);

    let path = format!("/v1/applications/{id}");
    assert_eq!(
        server.request("GET", &path, Some(&bank_a), None).status,
        200
    );
    server
        .request("GET", &path, Some(&bank_b), None)
        .assert_problem(404);
    let list = server.request("GET", "/v1/applications", Some(&bank_b), None);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);

    let outcome = format!("{path}/outcome");
    let cases: [(&str, u16, Option<&str>); 5] = [
        ("{\"status\":", 400, None),
        (r#"{"status":"repaid","repaid":true}"#, 422, Some("repaid")),
        (
            r#"{"status":"repaid","repaid":"-1.00"}"#,
            422,
            Some("repaid"),
        ),
        (r#"{"status":"written_off"}"#, 422, Some("status")),
        (r#"{"status":"repaid","extra":1}"#, 422, None),
    ];
    for (body, status, field) in cases {
        let r = server.request("POST", &outcome, Some(&bank_a), Some(body));
        r.assert_problem(status);
        if let Some(field) = field {
            assert_eq!(r.body["errors"][0]["path"], field, "{}", r.text);
        }
    }
    let big = format!(r#"{{"status":"repaid","note":"{}"}}"#, "x".repeat(8000));
    server
        .request("POST", &outcome, Some(&bank_a), Some(&big))
        .assert_problem(413);
}

fn durability(url: &str) {
    let (bank, _) = create_key(url, "bank-durable", "bank");
    let id = seed_application(url, "bank-durable");
    let server = Server::start(url, &[]);
    let body = r#"{"status":"defaulted","defaulted":"750000.00","recovered":"120000.50"}"#;
    let r = server.request(
        "POST",
        &format!("/v1/applications/{id}/outcome"),
        Some(&bank),
        Some(body),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let outcome_id = r.body["id"].as_str().unwrap().to_string();
    // Acknowledged: now pull the plug.
    server.kill9();
    let server = Server::start(url, &[]);
    let r = server.request(
        "GET",
        &format!("/v1/applications/{id}/outcomes"),
        Some(&bank),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["items"][0]["id"], outcome_id.as_str());
    assert_eq!(r.body["items"][0]["recovered"], "120000.50");
}

#[test]
fn acknowledged_write_survives_kill_9_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    durability(&sqlite_url(&dir));
}

#[test]
fn acknowledged_write_survives_kill_9_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = rt.block_on(support::postgres_url()) else {
        return;
    };
    durability(&url);
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&sqlite_url(&dir), &[]);
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// `ipledge keys create` for a bureau and a bank on `url`; (bureau secret, bank secret).
fn bureau_and_bank(url: &str) -> (String, String) {
    (
        create_key(url, "bureau", "bureau").0,
        create_key(url, "bank-a", "bank").0,
    )
}

/// The bench book as a JSON scenario with `paths` paths.
fn bench_json(paths: u64) -> Value {
    let text = std::fs::read_to_string("scenarios/bench-10k.toml").unwrap();
    let mut doc: Value =
        serde_json::to_value(toml::from_str::<toml::Value>(&text).unwrap()).unwrap();
    doc["scenario"]["paths"] = serde_json::json!(paths);
    doc
}

#[test]
fn hostile_requests_leave_a_memory_limited_server_standing() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let (bureau, bank) = bureau_and_bank(&url);
    let server = Server::start_limited(&url, &["--max-asset-paths", "500000"], 3 * 1024);
    // 30 cohorts × 10 M loans (the 6 GB allocation that used to abort the process).
    let mut doc = bench_json(1000);
    let cohort = doc["book"]["cohort"][0].clone();
    let mut cohorts = Vec::new();
    for _ in 0..30 {
        let mut c = cohort.clone();
        c["count"] = serde_json::json!(10_000_000);
        cohorts.push(c);
    }
    doc["book"]["cohort"] = Value::Array(cohorts);
    let r = server.request(
        "POST",
        "/v1/fund/simulations",
        Some(&bureau),
        Some(&doc.to_string()),
    );
    r.assert_problem(422);
    // One cohort growing tenfold a year.
    let mut doc = bench_json(1000);
    doc["scenario"]["horizon_years"] = serde_json::json!(50);
    doc["book"]["growth"] = serde_json::json!({"annual_growth": 10});
    let r = server.request(
        "POST",
        "/v1/fund/simulations",
        Some(&bureau),
        Some(&doc.to_string()),
    );
    r.assert_problem(422);
    // 10,000 loans × 50 years × 1 M paths.
    let mut doc = bench_json(1_000_000);
    doc["scenario"]["horizon_years"] = serde_json::json!(50);
    let r = server.request(
        "POST",
        "/v1/fund/simulations",
        Some(&bureau),
        Some(&doc.to_string()),
    );
    r.assert_problem(422);
    // A size job keeping 1 M paths of draws.
    let mut doc = bench_json(1_000_000);
    doc["job"] = serde_json::json!("size");
    doc["size"] = serde_json::json!({"max_shortfall_prob": 0.05});
    let r = server.request(
        "POST",
        "/v1/fund/simulations",
        Some(&bureau),
        Some(&doc.to_string()),
    );
    r.assert_problem(422);
    // 10 assets (allowed) at the largest path count (allowed): more work than the server
    // takes in one request (started with --max-asset-paths 500000).
    let assets = std::fs::read_to_string("scenarios/samples/next-gen-it-10.json").unwrap();
    let r = server.request(
        "POST",
        "/v1/valuations?paths=100000",
        Some(&bank),
        Some(&assets),
    );
    r.assert_problem(422);
    assert!(r.text.contains("asset-paths"), "{}", r.text);
    // A body with trailing data.
    let r = server.request("POST", "/v1/fund/simulations", Some(&bureau), Some("{}xx"));
    assert!(r.status == 400 || r.status == 422, "{}", r.text);
    // Still standing.
    let r = server.request("GET", "/healthz", None, None);
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn sigterm_stops_a_running_job_within_seconds_and_marks_it_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let (bureau, _) = bureau_and_bank(&url);
    let mut server = Server::start(&url, &[]);
    let r = server.request(
        "POST",
        "/v1/fund/simulations",
        Some(&bureau),
        Some(&bench_json(200_000).to_string()),
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/v1/fund/simulations/{id}");
    for _ in 0..600 {
        if server.request("GET", &path, Some(&bureau), None).body["status"] == "running" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let start = std::time::Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.child.wait().unwrap();
    let took = start.elapsed();
    assert!(exit.success(), "{exit:?}");
    assert!(took < Duration::from_secs(10), "stopping took {took:?}");
    let server = Server::start(&url, &[]);
    let r = server.request("GET", &path, Some(&bureau), None);
    assert_eq!(r.body["status"], "interrupted", "{}", r.text);
}

#[test]
fn half_open_connections_are_closed_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &sqlite_url(&dir),
        &["--header-read-timeout-secs", "2", "--max-connections", "2"],
    );
    // Two clients connect and never finish their headers: they hold both connection slots.
    let mut idle: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // A third is served only once the server has closed one of them (after the header-read
    // timeout), not never.
    let start = std::time::Instant::now();
    let r = server.request("GET", "/healthz", None, None);
    assert_eq!(r.status, 200, "{}", r.text);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(1500),
        "served after {waited:?}"
    );
    assert!(waited < Duration::from_secs(15), "served after {waited:?}");
    // The idle ones were closed by the server.
    for s in &mut idle {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    }
}
