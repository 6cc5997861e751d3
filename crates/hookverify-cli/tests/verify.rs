//! `hookverify verify`: one test per explanation, each on a request captured off the wire
//! the way `nc -l` captures it, from `hookverify send` or from a raw client that signed
//! other bytes than it sent (the mistakes the explanations name).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn hookverify(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hookverify"))
        .args(args)
        .output()
        .unwrap()
}

/// Listens once like `nc -l`, answers 200, and returns the raw bytes of the request.
struct Capture {
    listener: TcpListener,
}

impl Capture {
    fn new() -> Self {
        Self {
            listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/webhooks", self.listener.local_addr().unwrap())
    }

    /// Runs `send` while capturing what it sends.
    fn during(self, send: impl FnOnce(&str) + Send) -> Vec<u8> {
        let url = self.url();
        std::thread::scope(|scope| {
            let captured = scope.spawn(move || {
                let (mut stream, _) = self.listener.accept().unwrap();
                let mut raw = Vec::new();
                let mut buffer = [0u8; 8192];
                loop {
                    let read = stream.read(&mut buffer).unwrap();
                    raw.extend_from_slice(&buffer[..read]);
                    if read == 0 || complete(&raw) {
                        break;
                    }
                }
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .unwrap();
                raw
            });
            send(&url);
            captured.join().unwrap()
        })
    }
}

/// Whether `raw` holds the whole request (headers and `Content-Length` bytes of body).
fn complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|window| window == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    raw.len() >= end + 4 + length
}

/// A request captured from `hookverify send`.
fn captured_send(sender: &str, event: &str) -> Vec<u8> {
    Capture::new().during(|url| {
        let output = hookverify(&[
            "send", url, "--sender", sender, "--event", event, "--secret", SECRET,
        ]);
        assert!(output.status.success(), "{output:?}");
    })
}

/// A request captured from a client that sends `body` with the headers `hookverify sign`
/// gives for `signed` (another body: the sender-side or transit mistake under test).
fn captured_raw(sender: &str, signed: &[u8], body: &[u8]) -> Vec<u8> {
    let file = write_file("signed-body", signed);
    let output = hookverify(&[
        "sign",
        "--sender",
        sender,
        "--secret",
        SECRET,
        "--body",
        file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let headers = String::from_utf8(output.stdout).unwrap();
    Capture::new().during(|url| {
        let addr = url.trim_start_matches("http://").trim_end_matches("/webhooks");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let mut request = format!(
            "POST /webhooks HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        );
        for line in headers.lines() {
            request.push_str(line);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    })
}

fn write_file(name: &str, bytes: &[u8]) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "verify-{}-{}-{name}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `hookverify verify --request` on `raw` with `secrets`: exit code and output.
fn verify(raw: &[u8], secrets: &[&str], extra: &[&str]) -> (i32, String) {
    let file = write_file("request.http", raw);
    let mut args = vec!["verify", "--request", file.to_str().unwrap()];
    for secret in secrets {
        args.extend(["--secret", secret]);
    }
    args.extend(extra);
    let output = hookverify(&args);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The raw request with its body replaced (and `Content-Length` fixed).
fn with_body(raw: &[u8], body: &[u8]) -> Vec<u8> {
    let end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap();
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if line.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(&format!("content-length: {}\r\n", body.len()));
        } else {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    [out.as_bytes(), body].concat()
}

fn body_of(raw: &[u8]) -> Vec<u8> {
    let end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap();
    raw[end + 4..].to_vec()
}

#[test]
fn a_valid_delivery_names_its_header_and_exits_0() {
    let raw = captured_send("github", "push");
    let (code, out) = verify(&raw, &[SECRET], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("found `x-hub-signature-256`: a github signature"),
        "{out}"
    );
    assert!(
        out.contains("valid: the github signature covers the body as received, under secret #1"),
        "{out}"
    );
}

#[test]
fn promptlayer_is_valid_over_its_canonical_form() {
    let raw = captured_send("promptlayer", "report_finished");
    let (code, out) = verify(&raw, &[SECRET], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("covers the canonical JSON form of the body"),
        "{out}"
    );
}

#[test]
fn another_of_the_given_secrets_is_named() {
    let raw = captured_send("stripe", "invoice.paid");
    let (code, out) = verify(&raw, &["whsec_the_new_one", SECRET], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("under secret #2"), "{out}");
}

#[test]
fn a_wrong_secret_says_so_and_exits_1() {
    let raw = captured_send("prism", "request.completed");
    let (code, out) = verify(&raw, &["whsec_someone_elses"], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("matches neither the body nor any usual change of it"),
        "{out}"
    );
    assert!(out.contains("the secret is likely wrong"), "{out}");
}

#[test]
fn a_trailing_newline_added_after_signing_is_found() {
    let raw = captured_send("generic", "user.created");
    let body = [body_of(&raw), b"\n".to_vec()].concat();
    let (code, out) = verify(&with_body(&raw, &body), &[SECRET], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("covers the body without its trailing newline"),
        "{out}"
    );
}

#[test]
fn a_signature_over_the_body_with_a_newline_is_found() {
    let body = br#"{"id":"evt_nl","type":"user.created","data":{}}"#;
    let raw = captured_raw("generic", &[&body[..], b"\n"].concat(), body);
    let (code, out) = verify(&raw, &[SECRET], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("covers the body with a trailing newline added"),
        "{out}"
    );
}

#[test]
fn a_signature_over_the_reserialized_body_is_found() {
    // The body as sent is indented; what was signed is the same JSON written compactly,
    // as a framework that parses before verifying would write it.
    let body = b"{\n  \"data\": {\n    \"user\": \"u1\"\n  },\n  \"id\": \"evt_re\",\n  \"type\": \"user.created\"\n}";
    let compact = br#"{"data":{"user":"u1"},"id":"evt_re","type":"user.created"}"#;
    let raw = captured_raw("github", compact, body);
    let (code, out) = verify(&raw, &[SECRET], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("parsed and re-serialized compactly"), "{out}");
}

#[test]
fn a_signature_over_the_body_as_python_writes_it_is_found() {
    // Signed as Prism and PromptLayer post it (`json.dumps`: ", " and ": ", keys in their
    // order), received compact: something parsed it and wrote it back on the way.
    let body = br#"{"request_id":"r1","event":"request.completed","cost":0.25}"#;
    let signed = br#"{"request_id": "r1", "event": "request.completed", "cost": 0.25}"#;
    let raw = captured_raw("prism", signed, body);
    let (code, out) = verify(&raw, &[SECRET], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("as Python's json.dumps writes it"), "{out}");
}

#[test]
fn a_signature_over_the_body_written_back_in_its_own_order_is_found() {
    // Keys in the sender's order, not sorted: what JSON.stringify(JSON.parse(..)) keeps.
    let body =
        b"{\n  \"type\": \"push\",\n  \"id\": \"evt_order\",\n  \"data\": {\"z\": 1, \"a\": 2}\n}";
    let compact = br#"{"type":"push","id":"evt_order","data":{"z":1,"a":2}}"#;
    let raw = captured_raw("github", compact, body);
    let (code, out) = verify(&raw, &[SECRET], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("parsed and re-serialized compactly"), "{out}");
}

#[test]
fn a_signature_over_the_canonical_form_is_found_for_a_raw_sender() {
    let body = br#"{"type":"user.created","id":"evt_canon","data":{"b":1,"a":2}}"#;
    let canonical = br#"{"data": {"a": 2, "b": 1}, "id": "evt_canon", "type": "user.created"}"#;
    let raw = captured_raw("generic", canonical, body);
    let (code, out) = verify(&raw, &[SECRET], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the canonical JSON form"), "{out}");
}

#[test]
fn a_timestamp_outside_the_tolerance_is_named() {
    let raw = captured_send("standard-webhooks", "user.created");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let (code, out) = verify(&raw, &[SECRET], &["--now", &now.to_string()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the standard-webhooks signature matches, but it was signed 3"),
        "{out}"
    );
    assert!(out.contains("outside the tolerance"), "{out}");
}

#[test]
fn a_request_without_a_signature_says_which_headers_were_looked_for() {
    let raw = b"POST /webhooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
    let (code, out) = verify(raw, &[SECRET], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no signature header of any known sender"),
        "{out}"
    );
}

#[test]
fn a_malformed_header_is_named_with_its_reason() {
    let raw = captured_send("promptreports", "prompt.created");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix("x-promptreports-signature: "))
        .unwrap()
        .trim()
        .to_owned();
    let broken = text.replace(&value, &value[..20]);
    let (code, out) = verify(broken.as_bytes(), &[SECRET], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("malformed: expected 64 hex digits, found 20 characters"),
        "{out}"
    );
}

#[test]
fn the_secret_can_come_from_the_environment_and_help_never_prints_it() {
    let raw = captured_send("github", "push");
    let file = write_file("request.http", &raw);
    let output = Command::new(env!("CARGO_BIN_EXE_hookverify"))
        .args(["verify", "--request", file.to_str().unwrap()])
        .env("HOOKVERIFY_SECRET", SECRET)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("under secret #1"), "{out}");
    // Without it, and without --secret: a usage error naming both ways.
    let output = Command::new(env!("CARGO_BIN_EXE_hookverify"))
        .args(["verify", "--request", file.to_str().unwrap()])
        .env_remove("HOOKVERIFY_SECRET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    for command in ["sign", "send", "verify", "listen"] {
        let help = Command::new(env!("CARGO_BIN_EXE_hookverify"))
            .args([command, "--help"])
            .env("HOOKVERIFY_SECRET", SECRET)
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(help.contains("HOOKVERIFY_SECRET"), "{command}: {help}");
        assert!(
            !help.contains(SECRET),
            "{command} --help prints the secret: {help}"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let output = hookverify(&["verify", "--secret", SECRET]);
    assert_eq!(output.status.code(), Some(2));
    let missing = hookverify(&["verify", "--secret", SECRET, "--request", "/no/such/file"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}

#[test]
fn headers_and_body_files_are_read_like_a_request() {
    let raw = captured_send("github", "ping");
    let end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let headers: String = head
        .lines()
        .skip(1)
        .map(|line| format!("{line}\n"))
        .collect();
    let headers_file = write_file("headers", headers.as_bytes());
    let body_file = write_file("body", &raw[end + 4..]);
    let output = hookverify(&[
        "verify",
        "--secret",
        SECRET,
        "--headers",
        headers_file.to_str().unwrap(),
        "--body",
        body_file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn sign_names_the_github_event_it_is_given() {
    let file = write_file("push.json", br#"{"ref":"refs/heads/main"}"#);
    let output = hookverify(&[
        "sign",
        "--sender",
        "github",
        "--secret",
        SECRET,
        "--event",
        "push",
        "--body",
        file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let headers = String::from_utf8(output.stdout).unwrap();
    assert!(headers.contains("x-github-event: push"), "{headers}");
}

#[test]
fn sample_prints_the_body_byte_for_byte() {
    let output = hookverify(&["sample", "generic", "user.created", "--number", "3"]);
    let sample =
        hookverify::samples::sample(hookverify::Provider::GENERIC, "user.created", 3).unwrap();
    assert_eq!(output.stdout, sample.body());
}

#[test]
fn a_reader_that_stops_reading_ends_the_output_not_the_command() {
    // `hookverify events | head -1`, `verify ... | grep -q`: the reader is gone before the
    // output is written. The command still exits with its own code, without a panic.
    for args in [&["events"][..], &["sample", "generic", "user.created"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hookverify"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn sign_refuses_a_header_value_that_would_start_another_header() {
    let body = write_file("sign_body.json", b"{}");
    let body = body.to_str().unwrap();
    for (option, value) in [("--event", "push\r\nx-evil: 1"), ("--id", "abc\nx-evil: 1")] {
        let output = hookverify(&[
            "sign", "--sender", "github", "--secret", "k", "--body", body, option, value,
        ]);
        assert_eq!(output.status.code(), Some(2), "{option}");
        assert!(!String::from_utf8_lossy(&output.stdout).contains("x-evil"));
    }
}

/// Runs `hookverify` with `stdin` on its standard input.
fn hookverify_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookverify"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn verify_reads_a_request_or_a_body_from_standard_input() {
    let body = br#"{"id":"evt_stdin","type":"t"}"#;
    let body_file = write_file("stdin_body.json", body);
    let signed = hookverify(&[
        "sign",
        "--sender",
        "generic",
        "--secret",
        SECRET,
        "--body",
        body_file.to_str().unwrap(),
    ]);
    assert!(signed.status.success());
    let headers = write_file("stdin_headers.txt", &signed.stdout);
    let headers = headers.to_str().unwrap();

    let from_stdin = hookverify_with_stdin(
        &[
            "verify",
            "--secret",
            SECRET,
            "--headers",
            headers,
            "--body",
            "-",
        ],
        body,
    );
    assert_eq!(from_stdin.status.code(), Some(0), "{from_stdin:?}");

    let mut raw = b"POST /webhooks HTTP/1.1\r\n".to_vec();
    raw.extend_from_slice(&signed.stdout);
    raw.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    raw.extend_from_slice(body);
    let request = hookverify_with_stdin(&["verify", "--secret", SECRET, "--request", "-"], &raw);
    assert_eq!(request.status.code(), Some(0), "{request:?}");

    let both = hookverify_with_stdin(
        &[
            "verify",
            "--secret",
            SECRET,
            "--headers",
            "-",
            "--body",
            "-",
        ],
        body,
    );
    assert_eq!(both.status.code(), Some(2), "{both:?}");
}

#[test]
fn sign_says_which_options_its_sender_does_not_send() {
    let body = write_file("unused_options.json", br#"{"id":"evt_1"}"#);
    let body = body.to_str().unwrap();
    let sign = |sender: &str, options: &[&str]| {
        let mut args = vec![
            "sign", "--sender", sender, "--secret", SECRET, "--body", body,
        ];
        args.extend_from_slice(options);
        let output = hookverify(&args);
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stderr).unwrap()
    };
    let options = [
        "--id",
        "msg_7",
        "--timestamp",
        "1700000000",
        "--event",
        "push",
    ];
    let generic = sign("generic", &options);
    for option in ["--id `msg_7`", "--timestamp `1700000000`", "--event `push`"] {
        assert!(
            generic.contains(&format!("{option} is not used")),
            "{generic}"
        );
    }
    let stripe = sign("stripe", &options);
    assert!(!stripe.contains("--timestamp"), "{stripe}");
    assert!(stripe.contains("--id `msg_7` is not used"), "{stripe}");
    let webhooks = sign("standard-webhooks", &options[..4]);
    assert!(webhooks.is_empty(), "{webhooks}");
    let github = sign(
        "github",
        &[
            "--id",
            "0b5e3b1c-2c4f-4a8e-9f1e-3a2b1c0d9e8f",
            "--event",
            "push",
        ],
    );
    assert!(github.is_empty(), "{github}");
}

#[test]
fn a_body_without_its_headers_asks_for_the_headers_only() {
    let body = write_file("usage-body.json", b"{}");
    let output = hookverify(&["verify", "--secret", "s", "--body", body.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--headers <HEADERS>"), "{stderr}");
    // `--request` is the other way in, not a missing part of this one.
    assert!(!stderr.contains("--request"), "{stderr}");
}
