//! Headless Chromium driven through chromedriver (WebDriver over plain HTTP
//! on loopback, with fantoccini), each call waited for, at most a minute,
//! on a runtime of its own so a test stays plain blocking code. The runtime
//! has worker threads: fantoccini's session task and hyper's connections
//! must run between calls too (on a current-thread runtime the second page
//! hung for good). Chromedriver runs in a process
//! group of its own and that group is killed when the test ends however it
//! ends, Chromium with it. Screenshots go to `target/screenshots/`.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::service::free_port;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a page may take to show what a step waits for; a loaded 2-core
/// machine has taken over 45 s to finish a run.
const PATIENCE: Duration = Duration::from_secs(120);
/// The longest one WebDriver call may take.
const CALL_LIMIT: Duration = Duration::from_secs(60);

pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    base: String,
    _profile: tempfile::TempDir,
    shots: PathBuf,
}

/// Where the screenshots go: `target/screenshots/`.
pub fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("the target folder").join("screenshots")
}

impl Browser {
    /// A fresh browser (its own profile) for the pages under `base`.
    pub fn start(base: &str) -> Self {
        for path in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: run `scripts/test`, which installs Debian's chromium and chromium-driver"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on port {port} within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1280,1000".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), json!({ "binary": CHROMIUM, "args": args }));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut browser =
            Browser { runtime, client: None, driver, base: base.to_string(), _profile: profile, shots: screenshots() };
        let client = browser
            .runtime
            .block_on(
                ClientBuilder::new(connector).capabilities(capabilities).connect(&format!("http://127.0.0.1:{port}")),
            )
            .expect("chromedriver starts a Chromium session");
        browser.client = Some(client);
        std::fs::create_dir_all(&browser.shots).unwrap();
        browser
    }

    /// `call`'s answer, failing the test if it takes over a minute.
    fn wait<T>(&self, what: &str, call: impl std::future::Future<Output = T>) -> T {
        self.runtime
            .block_on(async { tokio::time::timeout(CALL_LIMIT, call).await })
            .unwrap_or_else(|_| panic!("the browser did not answer {what} within {CALL_LIMIT:?}"))
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a session")
    }

    /// Opens `path` under the service's address.
    pub fn open(&self, path: &str) {
        self.wait(path, self.client().goto(&format!("{}{path}", self.base))).unwrap();
    }

    /// The path of the page shown now.
    pub fn path(&self) -> String {
        self.wait("its address", self.client().current_url()).unwrap().path().to_string()
    }

    /// The page's HTML as it is now.
    pub fn html(&self) -> String {
        self.wait("the page's HTML", self.client().source()).unwrap()
    }

    /// The text a person reads on the page now.
    pub fn text(&self) -> String {
        self.wait("the page's text", async { self.client().find(Locator::Css("body")).await?.text().await }).unwrap()
    }

    /// Clicks the button `css` of a form and waits for the page the form
    /// leads to (every form here answers with another address) to load.
    pub fn submit(&self, css: &str) {
        let before = self.wait("its address", self.client().current_url()).unwrap();
        self.wait(css, async { self.client().find(Locator::Css(css)).await?.click().await })
            .unwrap_or_else(|e| panic!("clicking {css}: {e}\n{}", self.text()));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self.wait("its address", self.client().current_url()).unwrap();
            let state = self.wait("the page's state", self.client().execute("return document.readyState", vec![]));
            if now != before && state.is_ok_and(|s| s == "complete") {
                return;
            }
            assert!(Instant::now() < deadline, "clicking {css} on {before} led to no other page");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn type_into(&self, css: &str, text: &str) {
        self.wait(css, async { self.client().find(Locator::Css(css)).await?.send_keys(text).await })
            .unwrap_or_else(|e| panic!("typing into {css}: {e}\n{}", self.html()));
    }

    pub fn resize(&self, width: u32, height: u32) {
        self.wait("a new window size", self.client().set_window_size(width, height)).unwrap();
    }

    /// Opens `path` again and again until its HTML holds what `seen` looks
    /// for, failing after a deadline with what the page showed last.
    pub fn until(&self, what: &str, path: &str, seen: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            self.open(path);
            let html = self.html();
            if seen(&html) {
                return html;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what} on {path}; it shows:\n{}", self.text());
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// `target/screenshots/NAME.png` of the page shown now.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.wait("a screenshot", self.client().screenshot()).unwrap();
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(async { tokio::time::timeout(CALL_LIMIT, client.close()).await });
        }
        // The whole group: chromedriver and the Chromium it started.
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.driver.id())]).status();
        let _ = self.driver.wait();
    }
}
