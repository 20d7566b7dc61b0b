//! A loopback S3 server over a directory (one subdirectory per bucket), for
//! the S3 benchmark (`benches/s3.sh`) and for trying `assay scan s3://`
//! without AWS. Credentials: `assay-local` / `assay-local-secret`. It is
//! the integration tests' server (`tests/support/s3_server.rs`), with no
//! faults injected.
//!
//! ```sh
//! cargo run --release --example s3-serve -- ROOT [127.0.0.1:9000]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

#[path = "../tests/support/s3_server.rs"]
mod s3_server;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().ok_or("usage: s3-serve ROOT [ADDR]")?);
    let address: SocketAddr = args.next().unwrap_or("127.0.0.1:0".into()).parse()?;
    let keys = ("assay-local", "assay-local-secret");
    s3_server::serve(&root, address, keys, Default::default(), |bound| {
        println!("http://{bound}")
    })
    .await
}
