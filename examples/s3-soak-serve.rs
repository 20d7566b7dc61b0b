//! A loopback S3 server over a directory (one subdirectory per bucket)
//! that injects faults at random into GET requests, for the fault soak
//! (`benches/soak.sh`, docs/reliability.md "Fault soak"). Credentials:
//! `assay-local` / `assay-local-secret`. It is the tests' server
//! (`tests/support/s3_server.rs`) with a random fault policy.
//!
//! ```sh
//! cargo run --example s3-soak-serve -- ROOT RATE SEED FAULT_LOG
//! ```
//!
//! Each GET draws a fault with probability RATE (0 to 1): 503 SlowDown,
//! 500 InternalError, the connection reset before any answer, the body cut
//! half-way, or the answer stalled for 1 to 4 seconds. Keys listed in
//! `ROOT/denied.txt` (one `/bucket/key` a line, re-read every second) get
//! 403 AccessDenied, as after a permission change. Each fault injected is
//! appended to FAULT_LOG as `KIND PATH`. The server prints its endpoint and
//! runs until killed.

use std::collections::HashSet;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use s3_server::Fault;

#[path = "../tests/support/s3_server.rs"]
mod s3_server;

/// A small deterministic generator (xorshift64*): the soak's faults are
/// reproducible from its seed.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One of the random faults, named as the fault log names it.
    fn fault(&mut self) -> (&'static str, Fault) {
        let kind = self.next() % 5;
        let stall = Duration::from_millis(1000 + self.next() % 3000);
        match kind {
            0 => ("503_slowdown", Fault::Status(503, "SlowDown")),
            1 => ("500_internal", Fault::Status(500, "InternalError")),
            2 => ("reset", Fault::Reset),
            3 => ("cut_body", Fault::Cut),
            _ => ("stall", Fault::Stall(stall)),
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: s3-soak-serve ROOT RATE SEED FAULT_LOG";
    let root = PathBuf::from(args.next().ok_or(usage)?);
    let rate: f64 = args.next().ok_or(usage)?.parse()?;
    let seed: u64 = args.next().ok_or(usage)?.parse()?;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(args.next().ok_or(usage)?)?;
    let denied: Arc<Mutex<HashSet<String>>> = Arc::default();
    {
        let denied = Arc::clone(&denied);
        let list = root.join("denied.txt");
        tokio::spawn(async move {
            loop {
                let keys = std::fs::read_to_string(&list).unwrap_or_default();
                *denied.lock().unwrap_or_else(|e| e.into_inner()) =
                    keys.lines().map(str::to_string).collect();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    let faults = s3_server::Faults::default();
    let mut draw = Draw(seed.max(1));
    faults.set_policy(move |path| {
        let denied = denied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(path);
        let (name, fault) = if denied {
            ("403_denied", Fault::Status(403, "AccessDenied"))
        } else if draw.unit() < rate {
            draw.fault()
        } else {
            return None;
        };
        let _ = writeln!(log, "{name} {path}");
        Some(fault)
    });
    let address = SocketAddr::from(([127, 0, 0, 1], 0));
    let keys = ("assay-local", "assay-local-secret");
    s3_server::serve(&root, address, keys, faults, |bound| {
        println!("http://{bound}");
        let _ = std::io::stdout().flush();
    })
    .await
}
