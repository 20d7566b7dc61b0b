//! No false alarms on clean real code: glibc's and OpenSSL's headers and the
//! parts of Python's standard library that talk about passwords, logins and
//! URLs (with their tests) must yield no credential finding of risk 7 or
//! above. Paths a machine lacks are left out.

use crate::util::*;

#[test]
fn clean_code_raises_no_high_risk_credential() {
    let stdlib = String::from_utf8(
        tool("python3")
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
            ])
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default(),
    )
    .unwrap_or_default()
    .trim()
    .to_string();
    let candidates = [
        "/usr/include/linux".to_string(),
        "/usr/include/openssl".to_string(),
        format!("{stdlib}/email"),
        format!("{stdlib}/http"),
        format!("{stdlib}/urllib"),
        format!("{stdlib}/netrc.py"),
        format!("{stdlib}/smtplib.py"),
        format!("{stdlib}/imaplib.py"),
        format!("{stdlib}/ftplib.py"),
        format!("{stdlib}/test/test_netrc.py"),
        format!("{stdlib}/test/test_urllib2net.py"),
        format!("{stdlib}/test/test_smtplib.py"),
        format!("{stdlib}/test/test_imaplib.py"),
        format!("{stdlib}/test/test_ftplib.py"),
    ];
    let present: Vec<&str> = candidates
        .iter()
        .map(String::as_str)
        .filter(|p| std::path::Path::new(p).exists())
        .collect();
    assert!(
        present.len() >= 4,
        "too little clean code on this machine: {present:?}"
    );
    let mut args = vec!["scan"];
    args.extend(&present);
    args.extend(["--format", "jsonl", "--quiet"]);
    let output = run(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut alarms = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        for finding in record["regexes"].as_array().unwrap() {
            if finding["category"] == "credentials" && finding["risk"].as_u64().unwrap() >= 7 {
                alarms.push(format!(
                    "{} {} line {}",
                    record["uri"], finding["id"], finding["locations"][0]["line"]
                ));
            }
        }
    }
    assert!(alarms.is_empty(), "false alarms: {alarms:#?}");
}
