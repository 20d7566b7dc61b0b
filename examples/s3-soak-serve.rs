//! A loopback S3 server over a directory (one subdirectory per bucket)
//! that injects faults at random into GET requests, for the fault soak
//! (`benches/soak.sh`, docs/reliability.md "Fault soak"). Credentials:
//! `assay-local` / `assay-local-secret`.
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
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The faults drawn at random, in the order of their share of draws.
#[derive(Debug, Clone, Copy)]
enum Fault {
    SlowDown,
    Internal,
    Reset,
    Cut,
    Stall,
    Denied,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::SlowDown => "503_slowdown",
            Fault::Internal => "500_internal",
            Fault::Reset => "reset",
            Fault::Cut => "cut_body",
            Fault::Stall => "stall",
            Fault::Denied => "403_denied",
        }
    }
}

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
}

/// A body that yields its bytes and then fails, as a connection cut
/// mid-transfer does (it pauses once so the cut falls inside the body).
struct CutBody(Option<bytes::Bytes>, bool);

impl http_body::Body for CutBody {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>> {
        if let Some(bytes) = self.0.take() {
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(bytes))));
        }
        if !self.1 {
            self.1 = true;
            let waker = context.waker().clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                waker.wake();
            });
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(Some(Err(std::io::Error::other("injected: connection cut"))))
    }
}

fn s3_error(status: u16, code: &str) -> http::Response<s3s::Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected by the soak server</Message></Error>"
    );
    let mut response = http::Response::new(s3s::Body::from(xml));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml"),
    );
    response
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: s3-soak-serve ROOT RATE SEED FAULT_LOG";
    let root = args.next().ok_or(usage)?;
    let rate: f64 = args.next().ok_or(usage)?.parse()?;
    let seed: u64 = args.next().ok_or(usage)?.parse()?;
    let log_path = args.next().ok_or(usage)?;
    let fs = s3s_fs::FileSystem::new(&root).map_err(|e| format!("{root}: {e:?}"))?;
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(
        "assay-local",
        "assay-local-secret",
    ));
    let service = builder.build();
    let draw = Arc::new(Mutex::new(Draw(seed.max(1))));
    let log = Arc::new(Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?,
    ));
    let denied: Arc<Mutex<HashSet<String>>> = Arc::default();
    {
        let denied = Arc::clone(&denied);
        let list = std::path::Path::new(&root).join("denied.txt");
        tokio::spawn(async move {
            loop {
                let keys = std::fs::read_to_string(&list).unwrap_or_default();
                *denied.lock().unwrap_or_else(|e| e.into_inner()) =
                    keys.lines().map(str::to_string).collect();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    let faulty =
        hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let service = service.clone();
            let path = request.uri().path().to_string();
            let fault = if request.method() != http::Method::GET {
                None
            } else if denied
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&path)
            {
                Some((Fault::Denied, 0))
            } else {
                let mut draw = draw.lock().unwrap_or_else(|e| e.into_inner());
                (draw.unit() < rate).then(|| {
                    let kinds = [
                        Fault::SlowDown,
                        Fault::Internal,
                        Fault::Reset,
                        Fault::Cut,
                        Fault::Stall,
                    ];
                    let kind = kinds[(draw.next() % kinds.len() as u64) as usize];
                    (kind, 1000 + draw.next() % 3000)
                })
            };
            if let Some((kind, _)) = fault {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                let _ = writeln!(log, "{} {path}", kind.name());
            }
            async move {
                match fault {
                    None => hyper::service::Service::call(&service, request).await,
                    Some((Fault::SlowDown, _)) => Ok(s3_error(503, "SlowDown")),
                    Some((Fault::Internal, _)) => Ok(s3_error(500, "InternalError")),
                    Some((Fault::Denied, _)) => Ok(s3_error(403, "AccessDenied")),
                    Some((Fault::Reset, _)) => Err(s3s::HttpError::new("injected: reset".into())),
                    Some((Fault::Stall, millis)) => {
                        tokio::time::sleep(Duration::from_millis(millis)).await;
                        hyper::service::Service::call(&service, request).await
                    }
                    Some((Fault::Cut, _)) => {
                        let (parts, mut body) = hyper::service::Service::call(&service, request)
                            .await?
                            .into_parts();
                        let bytes = body
                            .store_all_limited(usize::MAX)
                            .await
                            .map_err(s3s::HttpError::new)?;
                        let half = bytes.slice(..bytes.len() / 2);
                        Ok(http::Response::from_parts(
                            parts,
                            s3s::Body::http_body(CutBody(Some(half), false)),
                        ))
                    }
                }
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let connection = http
            .serve_connection(hyper_util::rt::TokioIo::new(socket), faulty.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}
