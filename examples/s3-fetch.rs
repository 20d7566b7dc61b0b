//! The S3 benchmark's baseline: downloads every object of a bucket with
//! JOBS concurrent GETs and discards the bytes (what a scan would cost if
//! classification were free).
//!
//! ```sh
//! cargo run --release --example s3-fetch -- ENDPOINT BUCKET JOBS
//! ```

use std::sync::Arc;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, bucket, jobs] = args.as_slice() else {
        return Err("usage: s3-fetch ENDPOINT BUCKET JOBS".into());
    };
    let jobs: usize = jobs.parse()?;
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "assay-local",
            "assay-local-secret",
            None,
            None,
            "s3-fetch",
        ))
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let mut keys = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        keys.extend(
            page?
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut tasks = tokio::task::JoinSet::new();
    for key in keys {
        let client = client.clone();
        let bucket = bucket.clone();
        let permit = Arc::clone(&limit).acquire_owned().await?;
        tasks.spawn(async move {
            let _permit = permit;
            let mut body = client
                .get_object()
                .bucket(&bucket)
                .key(&key)
                .send()
                .await?
                .body;
            let mut bytes = 0u64;
            while let Some(chunk) = body.try_next().await? {
                bytes += chunk.len() as u64;
            }
            Ok::<u64, Box<dyn std::error::Error + Send + Sync>>(bytes)
        });
    }
    let mut total = 0u64;
    while let Some(done) = tasks.join_next().await {
        total += done?.map_err(|e| e.to_string())?;
    }
    println!("{total}");
    Ok(())
}
