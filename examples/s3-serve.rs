//! A loopback S3 server over a directory (one subdirectory per bucket), for
//! the S3 benchmark (`benches/s3.sh`) and for trying `assay scan s3://`
//! without AWS. Credentials: `assay-local` / `assay-local-secret`.
//!
//! ```sh
//! cargo run --release --example s3-serve -- ROOT [127.0.0.1:9000]
//! ```

use std::net::SocketAddr;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = args.next().ok_or("usage: s3-serve ROOT [ADDR]")?;
    let address: SocketAddr = args.next().unwrap_or("127.0.0.1:0".into()).parse()?;
    let fs = s3s_fs::FileSystem::new(&root).map_err(|e| format!("{root}: {e:?}"))?;
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(
        "assay-local",
        "assay-local-secret",
    ));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind(address).await?;
    println!("http://{}", listener.local_addr()?);
    let http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let connection = http
            .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}
