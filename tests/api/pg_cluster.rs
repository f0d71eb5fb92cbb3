//! A PostgreSQL server of a test's own, so the test may stop and start it
//! (the storage fault of SPEC §4) without disturbing the shared test server.
//! Built from the machine's `initdb`/`pg_ctl`, run as an unprivileged user
//! when the tests run as root (the server refuses root).

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The account the server runs as under root; `scripts/test` creates it.
const UNPRIVILEGED: &str = "gatehouse-test";

/// A running (or stopped) throwaway cluster, removed on drop.
pub struct PgCluster {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
    as_user: Option<&'static str>,
}

impl PgCluster {
    /// Creates and starts a cluster on a free loopback port.
    pub fn start() -> PgCluster {
        let as_user = is_root().then(|| {
            ensure_user(UNPRIVILEGED);
            UNPRIVILEGED
        });
        let dir = tempfile::Builder::new().prefix("gatehouse-pgfault").tempdir_in("/tmp").unwrap();
        if let Some(user) = as_user {
            run(Command::new("chown").arg(user).arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = PgCluster { bin: bin_dir(), dir, port, as_user };
        let data = cluster.data();
        cluster.run_pg("initdb", &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        cluster.start_again();
        cluster
    }

    /// A superuser URL for the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown: connections are cut, as in an outage).
    pub fn stop(&self) {
        self.run_pg("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// Starts the server again on the same port.
    pub fn start_again(&self) {
        let socket_dir = self.dir.path().display().to_string();
        let options = format!(
            "-p {} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run_pg("pg_ctl", &["-D", &self.data(), "-l", &log, "-w", "-t", "30", "-o", &options, "start"]);
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run_pg(&self, program: &str, args: &[&str]) {
        run(self.pg_command(program).args(args));
    }

    /// A command running one of the server's programs, as the unprivileged
    /// user when there is one, from a folder that user may enter.
    fn pg_command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = match self.as_user {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&program);
                command
            }
            None => Command::new(&program),
        };
        command.current_dir("/tmp");
        command
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.pg_command("pg_ctl").args(["-D", &data, "-m", "immediate", "-w", "stop"]).output();
    }
}

fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn ensure_user(user: &str) {
    let exists = Command::new("id").arg(user).output().is_ok_and(|o| o.status.success());
    if !exists {
        run(Command::new("useradd").args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user]));
    }
}

/// `PG_BINDIR`, else the folder of `initdb` on the PATH, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian keeps the server binaries there).
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    if let Some(dir) = on_path {
        return dir;
    }
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    debian.retain(|dir| Path::new(dir).join("initdb").is_file());
    debian.sort_by_key(|dir| {
        dir.parent()
            .and_then(|version| version.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    debian.pop().expect("PostgreSQL server binaries (initdb, pg_ctl) are missing: run scripts/test")
}
