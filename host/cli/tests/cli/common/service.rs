//! `trestle serve` as a child process on a real port, stopped (SIGKILL)
//! when the test ends however it ends, and polled through `/health`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::Value;

pub struct Service {
    pub child: Child,
    pub log: PathBuf,
    pub base: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Service {
    /// Serves `config` on `port`, a scheduled run `every` ("1s", "1h").
    pub fn start(dir: &Path, config: &Path, port: u16, every: &str, env: &[(&str, &str)]) -> Self {
        Self::start_with(dir, &["--config", config.to_str().unwrap(), "--every", every], port, env)
    }

    /// `trestle serve ARGS` on `port`.
    pub fn start_with(dir: &Path, args: &[&str], port: u16, env: &[(&str, &str)]) -> Self {
        let log = dir.join("serve.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_trestle"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Service { child, log, base: format!("http://127.0.0.1:{port}") }
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn health(&self) -> Option<Value> {
        let response = Client::new().get(format!("{}/health", self.base)).send().ok()?;
        assert_eq!(response.status(), 200, "GET /health");
        response.json().ok()
    }

    /// Polls `/health` until `done` holds for it, failing after a deadline
    /// or if the service exits.
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        self.wait_until(what, |service| service.health().filter(|h| done(h)))
    }

    /// Polls `check` until it gives something, failing after a deadline or
    /// if the service exits.
    pub fn wait_until<T>(&mut self, what: &str, mut check: impl FnMut(&Self) -> Option<T>) -> T {
        // Generous: a loaded 2-core machine has taken over 45 s to finish a run.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the service exited ({status}) waiting for {what}:\n{}", self.output());
            }
            if let Some(found) = check(self) {
                return found;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}:\n{}", self.output());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
