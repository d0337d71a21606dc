//! A PostgreSQL server for the tests: one throwaway cluster per test
//! binary, started (`initdb`, `pg_ctl`) the first time a test asks for a
//! database and stopped when the binary exits; every test gets a database
//! of its own. The cluster listens on 127.0.0.1 on a free port, its unix
//! socket in its own temporary folder, and asks for a password (SCRAM), so
//! the URLs the tests use carry one, as an operator's would.
//!
//! PostgreSQL refuses to run as root: as root the server programs run as
//! the `postgres` user (`runuser`), in a folder that user owns. Without the
//! server programs every test that asks for a database fails, naming
//! `scripts/test`, which installs them.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use trestle_host::storage::Database;

/// The superuser the cluster is made with; its password is the cluster's own.
const USER: &str = "trestle";

/// A database of its own for one test.
pub struct TestDatabase {
    url: String,
}

impl TestDatabase {
    /// `postgres://trestle:PASSWORD@127.0.0.1:PORT/NAME`, password included.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn database(&self) -> Database {
        Database::parse(&self.url)
    }
}

/// The cluster's password: what no log, message or answer may show.
pub fn password() -> &'static str {
    &cluster().password
}

/// A new, empty database on the binary's cluster (started if need be).
pub fn fresh_database() -> TestDatabase {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let cluster = cluster();
    let name = format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let created = Command::new(cluster.bin.join("createdb"))
        .args(["-h", "127.0.0.1", "-p", &cluster.port.to_string(), "-U", USER, &name])
        .env("PGPASSWORD", &cluster.password)
        .output()
        .expect("createdb runs");
    assert!(created.status.success(), "createdb {name}: {}", String::from_utf8_lossy(&created.stderr));
    TestDatabase { url: format!("postgres://{USER}:{}@127.0.0.1:{}/{name}", cluster.password, cluster.port) }
}

struct Cluster {
    /// The server programs' folder.
    bin: PathBuf,
    /// Data, socket, log and password file; removed when the binary exits.
    dir: PathBuf,
    port: u16,
    password: String,
    /// Whether the server programs run as `postgres` (we are root).
    as_postgres: bool,
}

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    CLUSTER.get_or_init(Cluster::start).as_ref().unwrap_or_else(|e| panic!("{e}"))
}

impl Cluster {
    fn start() -> Result<Self, String> {
        let bin = server_programs().ok_or_else(|| {
            "PostgreSQL's server programs (initdb, pg_ctl) are neither on PATH nor in /usr/lib/postgresql/*/bin: \
             run the tests with `scripts/test`, which installs them"
                .to_string()
        })?;
        let as_postgres =
            std::fs::metadata("/proc/self").map_err(|e| format!("cannot tell who we are: {e}"))?.uid() == 0;
        let dir = std::env::temp_dir().join(format!("trestle-postgres-{}-{}", std::process::id(), random_hex(4)));
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let cluster = Cluster { bin, dir, port: free_port()?, password: random_hex(16), as_postgres };
        let pwfile = cluster.dir.join("password");
        std::fs::write(&pwfile, &cluster.password).map_err(|e| format!("cannot write {}: {e}", pwfile.display()))?;
        if as_postgres {
            let (uid, gid) = (id("-u")?, id("-g")?);
            for path in [&cluster.dir, &pwfile] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid))
                    .map_err(|e| format!("cannot give {} to the postgres user: {e}", path.display()))?;
            }
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                USER,
                &format!("--pwfile={}", pwfile.display()),
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
        )?;
        // Throwaway data: durability only costs the tests time.
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            cluster.port,
            cluster.dir.display()
        );
        let log = cluster.dir.join("server.log");
        cluster.run("pg_ctl", &["-D", path(&data), "-l", path(&log), "-o", &options, "-w", "-t", "60", "start"])?;
        cluster.stop_when_we_exit()?;
        Ok(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `program` with `args`, as `postgres` when we are root.
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args);
        command
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let out = self
            .command(program, args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot start {program}: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        Err(format!(
            "{program} failed ({}): {}{}\n{log}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }

    /// The test harness ends the binary by returning from `main` or by
    /// `exit`: both run `atexit` handlers, so the cluster stops then. A
    /// binary killed outright runs none: a watcher in a session of its own
    /// (no terminal's Ctrl-C reaches it) stops the cluster once this
    /// process is gone.
    fn stop_when_we_exit(&self) -> Result<(), String> {
        unsafe extern "C" {
            fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
        }
        extern "C" fn stop() {
            if let Some(stop) = STOP_AT_EXIT.get() {
                stop.run();
            }
        }
        let stop_command = self.command("pg_ctl", &["-D", path(&self.data()), "-m", "immediate", "stop"]);
        let shell_words: Vec<String> = std::iter::once(stop_command.get_program())
            .chain(stop_command.get_args())
            .map(|w| format!("'{}'", w.to_string_lossy().replace('\'', r"'\''")))
            .collect();
        let watcher = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            stop = shell_words.join(" "),
            dir = self.dir.display()
        );
        Command::new("setsid")
            .args(["sh", "-c", &watcher])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the cluster's watcher: {e}"))?;
        let _ = STOP_AT_EXIT.set(StopAtExit { shell: shell_words.join(" "), dir: self.dir.clone() });
        // SAFETY: registers a plain function, once; it touches only statics.
        if unsafe { atexit(stop) } != 0 {
            return Err("cannot register the cluster's stop at exit".into());
        }
        Ok(())
    }
}

/// What the `atexit` handler runs: set before it is registered (the
/// cluster's own `OnceLock` is still being filled then).
static STOP_AT_EXIT: OnceLock<StopAtExit> = OnceLock::new();

struct StopAtExit {
    /// `pg_ctl stop`, as a shell line.
    shell: String,
    dir: PathBuf,
}

impl StopAtExit {
    fn run(&self) {
        let _ = Command::new("sh").args(["-c", &self.shell]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The folder holding initdb, pg_ctl and createdb: where the initdb on PATH
/// really is (a link such as /usr/local/bin/initdb leads to it), else
/// Debian's newest.
fn server_programs() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .collect();
    debian.sort_by_key(|dir| dir.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()).unwrap_or(0));
    on_path
        .chain(debian.into_iter().rev())
        .filter_map(|dir| Some(std::fs::canonicalize(dir.join("initdb")).ok()?.parent()?.to_path_buf()))
        .find(|dir| ["initdb", "pg_ctl", "createdb"].iter().all(|p| dir.join(p).is_file()))
}

/// A port nobody listens on now (the kernel's pick).
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("no free port: {e}"))
}

/// The postgres user's uid (`-u`) or gid (`-g`).
fn id(which: &str) -> Result<u32, String> {
    let out = Command::new("id").args([which, "postgres"]).output().map_err(|e| format!("cannot run id: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| "there is no `postgres` user to run the server as: run `scripts/test`, which installs it".into())
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom").expect("/dev/urandom"), &mut buf)
        .expect("random bytes");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}
