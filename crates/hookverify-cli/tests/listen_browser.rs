//! `hookverify listen`'s page in a real browser: the real binary receives a valid and a
//! refused delivery, and headless Chromium (driven by `tests/browser/listen.mjs` with
//! puppeteer-core) checks the page shows both with their verdicts and explanation, replays
//! the valid one, shows a hostile payload as text only, and takes a screenshot.
//!
//! Needs `chromium` (or `chromium-browser`), `node`, and `npm ci` run in `tests/browser`;
//! `.ci/run` installs them. Without them the test says so loudly and passes; under
//! `CI=true` it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hookverify::{samples, Provider, Secret};

const SECRET: &str = "whsec_listen_browser_test";

/// The listener process, stopped when the test ends however it ends.
struct Listener {
    child: Child,
    addr: String,
}

impl Listener {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hookverify"))
            .args(["listen", "--addr", "127.0.0.1:0", "--secret", SECRET])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start hookverify listen");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line from listen: {line:?}"))
            .to_owned();
        Self { child, addr }
    }

    /// Ctrl-C: the listener stops, with success.
    fn interrupt(mut self) {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        if !matches!(sent, Ok(status) if status.success()) {
            return; // No `kill` here: Drop ends it.
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "listen exited with {status} on Ctrl-C");
                return;
            }
            assert!(Instant::now() < deadline, "listen did not stop on Ctrl-C");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A generic sample signed with `secret`, POSTed over a plain HTTP/1.1 connection; returns
/// the status.
fn deliver(addr: &str, path: &str, secret: &str, number: u64) -> u16 {
    let sample = samples::sample(Provider::GENERIC, "user.created", number).unwrap();
    let headers = sample.sign(&Secret::new(secret).unwrap()).unwrap();
    let body = sample.body();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

/// The first of `names` found on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Says loudly why the test cannot run; under `CI=true`, fails instead.
fn skip(why: &str) {
    let message = format!("the listen page's browser test cannot run: {why}");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message}: .ci/run installs it"
    );
    eprintln!("\n!!!!!!!!!! SKIPPED: {message} !!!!!!!!!!\n");
}

/// Chromium, node and the script's packages, or why not.
fn browser_tools(script_dir: &Path) -> Result<PathBuf, String> {
    let chromium = on_path(&["chromium", "chromium-browser"])
        .ok_or("neither `chromium` nor `chromium-browser` is on PATH (apt-get install chromium)")?;
    let node = Command::new("node").arg("--version").output();
    if !matches!(&node, Ok(output) if output.status.success()) {
        return Err("`node` is not installed (apt-get install nodejs)".to_owned());
    }
    if !script_dir
        .join("node_modules/puppeteer-core/package.json")
        .is_file()
    {
        return Err(format!(
            "puppeteer-core is not installed (run `npm ci` in {})",
            script_dir.display()
        ));
    }
    Ok(chromium)
}

/// Runs `command`, killing it after `limit`; its stdout.
fn run_with_limit(mut command: Command, limit: Duration) -> (bool, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = reader.join().unwrap();
    (status.is_some_and(|status| status.success()), text)
}

#[test]
fn the_page_shows_verifies_and_replays_deliveries() {
    let script_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = match browser_tools(&script_dir) {
        Ok(chromium) => chromium,
        Err(why) => return skip(&why),
    };
    let started = Instant::now();
    let listener = Listener::start();
    let addr = listener.addr.clone();

    assert_eq!(
        deliver(&addr, "/webhooks", SECRET, 1),
        200,
        "the valid delivery"
    );
    assert_eq!(
        deliver(&addr, "/webhooks", "whsec_some_other_secret", 2),
        401,
        "the delivery signed with another secret"
    );

    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("listen-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let mut node = Command::new("node");
    node.current_dir(&script_dir)
        .arg("listen.mjs")
        .arg(format!("http://{addr}/"))
        .arg(&screenshot)
        .arg(&chromium);
    let (succeeded, output) = run_with_limit(node, Duration::from_secs(120));
    let result: serde_json::Value = output
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no JSON result from listen.mjs: {output:?}"));
    assert!(
        succeeded && result["ok"] == true,
        "the browser check failed: {result}"
    );
    let verdicts: Vec<&str> = result["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|delivery| delivery["verdict"].as_str())
        .collect();
    // Newest first: the hostile unsigned one, the replay, the refused, the valid.
    assert_eq!(
        verdicts,
        ["invalid", "valid", "invalid", "valid"],
        "{result}"
    );

    let png = std::fs::read(&screenshot).expect("the screenshot was written");
    assert!(
        png.len() > 1000 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is not a PNG"
    );
    listener.interrupt();
    eprintln!(
        "listen page checked in {} ({:.1} s); screenshot: {}",
        result["browser"],
        started.elapsed().as_secs_f64(),
        screenshot.display()
    );
}
