//! Precision on real trees nobody on the project wrote (issue 16 point 5):
//! `/usr/include`, `/usr/share` (man pages, package documentation, MIME
//! data, CA certificates), the Python standard library with its
//! site-packages, and a node_modules tree of popular npm packages
//! (tests/precision/package.json, installed by tests/run into
//! target/precision-npm). No credential or key finding of risk 7 or more
//! may come from anything but real key material, which is listed below
//! by path with the reason it is real; public CA bundles are certificates
//! and are not high-risk.
//!
//! `/usr/share/package-lists` is left out: it is the workplace's list of
//! registry package names, not a package's files.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::*;

/// Real key material shipped in those trees: a path fragment and why the
/// finding is right. Each entry that is present must still be flagged.
const REAL_KEYS: &[(&str, &str)] = &[
    (
        "/test/certdata/",
        "CPython's ssl tests: real RSA and EC private keys beside their certificates",
    ),
    (
        "/moto/moto_proxy/",
        "moto's TLS-intercepting proxy ships its CA key and certificate key",
    ),
    (
        "/awscli/examples/iot/create-provisioning-claim.rst",
        "the AWS CLI example prints a whole RSA private key (it parses as one)",
    ),
    (
        "/usr/share/doc/libxmlsec1-dev/examples/rsakey.pem",
        "xmlsec's examples sign with this RSA private key",
    ),
    (
        "/man5/systemd.netdev.5",
        "systemd.netdev(5)'s WireGuard example holds a whole private key (any 32 bytes are one)",
    ),
];

fn python_paths() -> Vec<String> {
    let output = tool("python3")
        .args([
            "-c",
            "import sysconfig; p = sysconfig.get_paths(); print(p['stdlib']); print(p['purelib'])",
        ])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "python3 could not name its paths");
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let mut paths: Vec<String> = text.lines().map(str::to_string).collect();
    // pyenv and the like keep site-packages inside the standard library.
    if paths.len() == 2 && paths[1].starts_with(&format!("{}/", paths[0])) {
        paths.pop();
    }
    paths
}

#[derive(Default)]
struct Tree {
    objects: usize,
    /// Objects with a credential or key finding of risk 7 or more, each
    /// with the reviewed reason it is real key material, if any.
    alarms: Vec<(String, Option<&'static str>, String)>,
}

#[test]
fn real_trees_raise_high_risk_credentials_only_on_real_key_material() {
    let npm = npm_tree();
    assert!(
        npm.join(".installed").is_file(),
        "the npm packages of tests/precision/package.json are not installed in {}: run tests/run, \
         which installs them (npm install --ignore-scripts --no-package-lock)",
        npm.display()
    );
    let mut trees: Vec<(String, String)> = vec![
        ("/usr/include".into(), "/usr/include".into()),
        ("/usr/share".into(), "/usr/share".into()),
    ];
    for path in python_paths() {
        trees.push(("python".into(), path));
    }
    trees.push(("node_modules".into(), npm.display().to_string()));
    for (_, path) in &trees {
        assert!(
            Path::new(path).is_dir(),
            "{path} is missing: run tests/run, which installs what this test scans"
        );
    }
    let mut args = vec!["scan"];
    args.extend(trees.iter().map(|(_, path)| path.as_str()));
    args.extend([
        "--exclude",
        "package-lists/**",
        "--format",
        "jsonl",
        "--quiet",
    ]);
    let started = std::time::Instant::now();
    let output = run(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut figures: BTreeMap<&str, Tree> = BTreeMap::new();
    let mut certificate_bundles = 0;
    let mut high_risk_certificates = Vec::new();
    let mut uris = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let uri = record["uri"].as_str().unwrap_or_default().to_string();
        let Some((tree, _)) = trees
            .iter()
            .find(|(_, path)| uri.starts_with(path.as_str()))
        else {
            panic!("{uri} is in none of the trees scanned");
        };
        let figure = figures.entry(tree.as_str()).or_default();
        figure.objects += 1;
        let high: Vec<String> = record["regexes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                matches!(
                    f["category"].as_str(),
                    Some("credentials" | "encryption_keys")
                ) && f["risk"].as_u64().unwrap_or(0) >= 7
            })
            .map(|f| format!("{} line {}", f["id"], f["locations"][0]["line"]))
            .collect();
        if !high.is_empty() {
            let reason = REAL_KEYS
                .iter()
                .find(|(fragment, _)| uri.contains(fragment))
                .map(|(_, reason)| *reason);
            figure.alarms.push((uri.clone(), reason, high.join(", ")));
        }
        if record["content_type"]["mime"] == "application/x-x509-ca-cert" {
            certificate_bundles += 1;
            if record["risk"].as_u64().unwrap_or(10) >= 7 {
                high_risk_certificates.push(format!("{uri}: {}", record["risk_factors"]));
            }
        }
        uris.push(uri);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut unreviewed = Vec::new();
    for (tree, figure) in &figures {
        let real = figure.alarms.iter().filter(|a| a.1.is_some()).count();
        eprintln!(
            "precision: {tree}: {} objects, {} with a credential or key finding of risk >= 7 \
             ({real} reviewed real key material)",
            figure.objects,
            figure.alarms.len()
        );
        for (uri, reason, findings) in &figure.alarms {
            match reason {
                Some(reason) => eprintln!("  real key material: {uri} ({findings}): {reason}"),
                None => unreviewed.push(format!("{uri}: {findings}")),
            }
        }
    }
    eprintln!("precision: scanned in {elapsed:.0} s");
    // Every tree was read: a scan that skipped one would pass vacuously.
    for (tree, _) in &trees {
        let objects = figures.get(tree.as_str()).map_or(0, |f| f.objects);
        assert!(objects >= 1000, "{tree}: only {objects} objects scanned");
    }
    assert!(
        unreviewed.is_empty(),
        "credential or key findings of risk >= 7 that are not reviewed real key material: \
         {unreviewed:#?}"
    );
    // The node_modules tree is pinned: none of its packages ships a key.
    assert_eq!(figures["node_modules"].alarms.len(), 0);
    // Real key material stays found: every reviewed entry present in the
    // trees is still flagged.
    for (fragment, reason) in REAL_KEYS {
        let present = uris.iter().any(|uri| uri.contains(fragment));
        let flagged = figures
            .values()
            .flat_map(|f| &f.alarms)
            .any(|(uri, _, _)| uri.contains(fragment));
        assert!(
            !present || flagged,
            "{fragment} is real key material ({reason}) but no longer flagged"
        );
    }
    // Public CA bundles (/usr/share/ca-certificates, certifi's cacert.pem)
    // are certificates, and certificates alone are not high-risk.
    assert!(
        certificate_bundles >= 1,
        "no certificate file found in the trees"
    );
    assert!(
        high_risk_certificates.is_empty(),
        "certificates rated high-risk: {high_risk_certificates:#?}"
    );
}
