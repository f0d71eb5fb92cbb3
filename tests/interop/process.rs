//! A program the tests start (Gatehouse, Apache, the Python and Node apps):
//! its output gathered as it comes (shown when a test fails, never
//! otherwise), readiness awaited with a bound, and the process killed when
//! the test ends, also when it fails.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// The longest wait for a program to get ready.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// What a program printed so far, and how many of its two streams ended.
#[derive(Default)]
struct Output {
    text: String,
    closed: u8,
}

/// A running program, killed on drop.
pub struct Service {
    name: String,
    child: Child,
    output: watch::Receiver<Output>,
}

impl Service {
    /// Starts `command` with its standard output and error gathered.
    #[track_caller]
    pub fn spawn(name: &str, command: &mut Command) -> Service {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({e}): scripts/test installs it"));
        let (sender, output) = watch::channel(Output::default());
        gather(child.stdout.take().unwrap(), sender.clone());
        gather(child.stderr.take().unwrap(), sender);
        Service { name: name.to_owned(), child, output }
    }

    /// Waits until the program prints a line that `wanted` accepts, and returns it.
    pub async fn wait_for_line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        self.wait_for_lines(1, wanted).await.swap_remove(0)
    }

    /// Waits until the program has printed `count` lines that `wanted`
    /// accepts, and returns the first `count` of them.
    pub async fn wait_for_lines(&mut self, count: usize, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let found = tokio::time::timeout(READY_WITHIN, async {
            let enough = |o: &Output| o.text.lines().filter(|line| wanted(line)).count() >= count || o.closed == 2;
            let seen = self.output.wait_for(enough).await.unwrap();
            seen.text.lines().filter(|line| wanted(line)).take(count).map(str::to_owned).collect::<Vec<_>>()
        })
        .await;
        match found {
            Ok(lines) if lines.len() == count => lines,
            Ok(_) => panic!("{} ended before it printed what was awaited:\n{}", self.name, self.output()),
            Err(_) => {
                panic!("{} did not print what was awaited within {READY_WITHIN:?}:\n{}", self.name, self.output())
            }
        }
    }

    /// Waits until the program accepts connections on `port` of 127.0.0.1.
    pub async fn wait_for_port(&mut self, port: u16) {
        let ready = tokio::time::timeout(READY_WITHIN, async {
            loop {
                if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                    return true;
                }
                if self.child.try_wait().unwrap().is_some() {
                    return false;
                }
                // A readiness poll: the programs print nothing when they
                // start listening (Apache at its log level `warn`).
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        match ready {
            Ok(true) => {}
            Ok(false) => panic!("{} ended before it listened on {port}:\n{}", self.name, self.output()),
            Err(_) => panic!("{} not listening on {port} within {READY_WITHIN:?}:\n{}", self.name, self.output()),
        }
    }

    /// Everything the program printed so far.
    pub fn output(&self) -> String {
        self.output.borrow().text.clone()
    }
}

fn gather(stream: impl AsyncRead + Unpin + Send + 'static, sender: watch::Sender<Output>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            sender.send_modify(|o| {
                o.text.push_str(&line);
                o.text.push('\n');
            });
        }
        sender.send_modify(|o| o.closed += 1);
    });
}

/// A loopback port that was free a moment ago, for a program that cannot
/// report the port it bound (its address must be registered beforehand).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
