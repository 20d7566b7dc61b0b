//! A loopback S3 server for tests and the S3 benchmark: `s3s-fs` over a
//! directory (one subdirectory per bucket), behind a layer that injects
//! faults (S3 errors, resets, bodies cut short, slow answers, buckets in
//! another region, canned answers to calls `s3s-fs` lacks). Included by the
//! integration tests (`tests/integration/s3/`) and by `examples/s3-serve.rs`;
//! each uses the parts it needs.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The test server's credentials.
pub const ACCESS_KEY: &str = "assay-test";
pub const SECRET_KEY: &str = "assay-test-secret-key";

/// An S3 server on 127.0.0.1 serving a temporary directory (one
/// subdirectory per bucket). It runs until the test process ends.
pub struct S3Server {
    pub endpoint: String,
    pub root: tempfile::TempDir,
    pub faults: Faults,
}

/// A failure the server injects into one GET of a path.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// An S3 error response: status and error code.
    Status(u16, &'static str),
    /// The connection is dropped before any response.
    Reset,
    /// The real response, cut off half-way through its body.
    Cut,
    /// The real response, after a wait.
    Stall(std::time::Duration),
}

/// Chooses a fault for a GET of a path that has none planned (the soak's
/// random faults).
type Policy = Box<dyn FnMut(&str) -> Option<Fault> + Send>;

/// Faults to inject, per request path (`/bucket/key`), in order; and how
/// many GETs each path received.
#[derive(Clone, Default)]
pub struct Faults {
    planned: Arc<Mutex<HashMap<String, VecDeque<Fault>>>>,
    policy: Arc<Mutex<Option<Policy>>>,
    gets: Arc<Mutex<HashMap<String, usize>>>,
    /// Canned answers to GETs s3s-fs does not implement: bucket
    /// sub-resources (`?acl`, `?policyStatus`, `?versions`, ...) and object
    /// versions (`versionId=v1`): (path, query name or pair) → (status, body).
    canned: Arc<Mutex<HashMap<(String, String), CannedAnswer>>>,
    /// Buckets living in another region (bucket → region), as S3 treats
    /// them: requests signed for another region get a 301 naming it.
    regions: Arc<Mutex<HashMap<String, String>>>,
    /// Every request: method, path and the region it was signed for.
    signed: Arc<Mutex<Vec<(String, String, String)>>>,
    /// How long each GetObject waits before it is answered, and how many
    /// were waiting at once, now and at most.
    slow_gets: Arc<Mutex<Option<std::time::Duration>>>,
    waiting: Arc<Mutex<(usize, usize)>>,
}

/// A status and XML body.
type CannedAnswer = (u16, String);

impl Faults {
    pub fn place_bucket(&self, bucket: &str, region: &str) {
        self.regions
            .lock()
            .unwrap()
            .insert(bucket.to_string(), region.to_string());
    }

    pub fn signed(&self) -> Vec<(String, String, String)> {
        self.signed.lock().unwrap().clone()
    }

    /// Records the request's signing region; a 301 if its bucket lives
    /// elsewhere.
    fn wrong_region(
        &self,
        request: &http::Request<hyper::body::Incoming>,
    ) -> Option<http::Response<s3s::Body>> {
        // SigV4: Credential=KEY/DATE/REGION/s3/aws4_request
        let region = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(2))
            .unwrap_or_default()
            .to_string();
        let path = request.uri().path().to_string();
        self.signed.lock().unwrap().push((
            request.method().to_string(),
            path.clone(),
            region.clone(),
        ));
        let bucket = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        let home = self.regions.lock().unwrap().get(bucket).cloned()?;
        (home != region).then(|| {
            http::Response::builder()
                .status(301)
                .header("x-amz-bucket-region", home)
                .header("content-type", "application/xml")
                .body(s3s::Body::from(
                    "<Error><Code>PermanentRedirect</Code><Message>wrong region</Message></Error>"
                        .to_string(),
                ))
                .unwrap()
        })
    }

    pub fn answer(&self, path: &str, subresource: &str, status: u16, xml: &str) {
        self.canned.lock().unwrap().insert(
            (path.to_string(), subresource.to_string()),
            (status, xml.to_string()),
        );
    }

    fn canned(&self, path: &str, query: Option<&str>) -> Option<http::Response<s3s::Body>> {
        let canned = self.canned.lock().unwrap();
        let lookup = |key: &str| canned.get(&(path.to_string(), key.to_string()));
        // A whole `name=value` pair first (`versionId=v1`), then the name.
        let pairs = query?.split('&');
        let (status, xml) = pairs
            .clone()
            .filter(|pair| pair.contains('='))
            .find_map(lookup)
            .or_else(|| {
                pairs
                    .map(|pair| pair.split('=').next().unwrap_or(pair))
                    .find_map(lookup)
            })?;
        Some(
            http::Response::builder()
                .status(*status)
                .header("content-type", "application/xml")
                .body(s3s::Body::from(xml.clone()))
                .unwrap(),
        )
    }

    pub fn plan(&self, path: &str, faults: &[Fault]) {
        self.planned
            .lock()
            .unwrap()
            .entry(path.to_string())
            .or_default()
            .extend(faults);
    }

    /// Every GetObject waits `delay` before it is answered.
    pub fn slow_down_gets(&self, delay: std::time::Duration) {
        *self.slow_gets.lock().unwrap() = Some(delay);
    }

    /// The most GetObject requests that were waiting at once since the
    /// last call.
    pub fn most_gets_waiting(&self) -> usize {
        std::mem::take(&mut self.waiting.lock().unwrap().1)
    }

    /// Holds a GetObject back for the planned delay, counting it as waiting.
    async fn delay(&self, path: &str) {
        // `/bucket/key`: listings and bucket calls are not held.
        let object = path.trim_start_matches('/').contains('/');
        let Some(delay) = *self.slow_gets.lock().unwrap() else {
            return;
        };
        if !object {
            return;
        }
        {
            let mut waiting = self.waiting.lock().unwrap();
            waiting.0 += 1;
            waiting.1 = waiting.1.max(waiting.0);
        }
        tokio::time::sleep(delay).await;
        self.waiting.lock().unwrap().0 -= 1;
    }

    pub fn gets(&self, path: &str) -> usize {
        self.gets.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    fn next(&self, path: &str) -> Option<Fault> {
        *self
            .gets
            .lock()
            .unwrap()
            .entry(path.to_string())
            .or_default() += 1;
        let planned = self
            .planned
            .lock()
            .unwrap()
            .get_mut(path)
            .and_then(VecDeque::pop_front);
        planned.or_else(|| self.policy.lock().unwrap().as_mut()?(path))
    }

    /// Asks `policy` for a fault for every GET that has none planned.
    pub fn set_policy(&self, policy: impl FnMut(&str) -> Option<Fault> + Send + 'static) {
        *self.policy.lock().unwrap() = Some(Box::new(policy));
    }
}

/// A body that yields its bytes and then fails, as a connection cut
/// mid-transfer does. It pauses once before failing so what was sent is
/// flushed (headers included) and the cut falls inside the body.
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
                std::thread::sleep(std::time::Duration::from_millis(50));
                waker.wake();
            });
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(Some(Err(std::io::Error::other("injected: connection cut"))))
    }
}

fn s3_error(status: u16, code: &str) -> http::Response<s3s::Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected by the test server</Message></Error>"
    );
    http::Response::builder()
        .status(status)
        .header("content-type", "application/xml")
        .body(s3s::Body::from(xml))
        .unwrap()
}

pub fn start_server() -> S3Server {
    let root = tempfile::tempdir().unwrap();
    let served = root.path().to_path_buf();
    let faults = Faults::default();
    let injected = faults.clone();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let address = SocketAddr::from(([127, 0, 0, 1], 0));
        let keys = (ACCESS_KEY, SECRET_KEY);
        let served = runtime.block_on(serve(&served, address, keys, injected, |bound| {
            let _ = sender.send(bound);
        }));
        if let Err(error) = served {
            panic!("the test S3 server stopped: {error}");
        }
    });
    let address = receiver.recv().unwrap();
    S3Server {
        endpoint: format!("http://{address}"),
        root,
        faults,
    }
}

/// Serves `root` (one subdirectory per bucket) over S3 on `address` with
/// one access key, injecting `faults`; `bound` hears the address bound
/// before the first request is accepted. Runs until the process ends.
pub async fn serve(
    root: &Path,
    address: SocketAddr,
    (access_key, secret_key): (&str, &str),
    faults: Faults,
    bound: impl FnOnce(SocketAddr),
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let injected = faults;
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| format!("{}: {e:?}", root.display()))?;
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(access_key, secret_key));
    let service = builder.build();
    let faulty =
        hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let service = service.clone();
            let get = request.method() == http::Method::GET;
            let canned = injected.wrong_region(&request).or_else(|| {
                get.then(|| injected.canned(request.uri().path(), request.uri().query()))
                    .flatten()
            });
            let fault = get.then(|| injected.next(request.uri().path())).flatten();
            let injected = injected.clone();
            async move {
                if let Some(response) = canned {
                    return Ok(response);
                }
                if get {
                    injected.delay(request.uri().path()).await;
                }
                match fault {
                    None => hyper::service::Service::call(&service, request).await,
                    Some(Fault::Status(status, code)) => Ok(s3_error(status, code)),
                    Some(Fault::Reset) => Err(s3s::HttpError::new("injected: reset".into())),
                    Some(Fault::Stall(wait)) => {
                        tokio::time::sleep(wait).await;
                        hyper::service::Service::call(&service, request).await
                    }
                    Some(Fault::Cut) => {
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
    let listener = tokio::net::TcpListener::bind(address).await?;
    bound(listener.local_addr()?);
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
