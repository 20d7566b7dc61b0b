//! Every regex detector's own cases: at least two realistic examples it must
//! flag and two near misses it must not. Minimum counts are set to 1 here so
//! bulk detectors (Macie's "100 phone numbers") can be shown one match at a
//! time; the counts themselves are tested with the engine.

use assay_classifiers::{Catalog, Classifiers};

#[test]
fn every_detector_flags_its_examples_and_not_its_near_misses() {
    let mut catalog = Catalog::builtin().expect("catalog loads");
    for detector in &mut catalog.detectors {
        detector.min_count = 1;
    }
    let ids: Vec<String> = catalog.detectors.iter().map(|d| d.id.clone()).collect();
    let cases: Vec<(String, Vec<String>, Vec<String>)> = catalog
        .detectors
        .iter()
        .map(|d| (d.id.clone(), d.examples.clone(), d.counterexamples.clone()))
        .collect();
    let classifiers = Classifiers::new(catalog).expect("catalog compiles");
    let found = |text: &str| -> Vec<String> {
        let mut object = classifiers.object("example.txt");
        object.feed(text.as_bytes());
        object.finish().regexes.into_iter().map(|r| r.id).collect()
    };
    let mut problems = Vec::new();
    for (id, examples, counterexamples) in &cases {
        if examples.len() < 2 || counterexamples.len() < 2 {
            problems.push(format!(
                "{id}: needs at least 2 examples and 2 counterexamples ({} / {})",
                examples.len(),
                counterexamples.len()
            ));
        }
        for example in examples {
            let hits = found(example);
            if !hits.contains(id) {
                problems.push(format!("{id}: missed example {example:?} (found {hits:?})"));
            }
        }
        for near_miss in counterexamples {
            if found(near_miss).contains(id) {
                problems.push(format!("{id}: flagged near miss {near_miss:?}"));
            }
        }
    }
    assert!(ids.len() >= 200, "only {} detectors", ids.len());
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Patterns compile on first use; every built-in one must compile, so none
/// can go silent by hitting a size limit.
#[test]
fn every_builtin_pattern_compiles() {
    let catalog = Catalog::builtin().expect("catalog loads");
    let set = assay_classifiers::detect::DetectorSet::new(&catalog).expect("detectors load");
    let failures: Vec<String> = set
        .detectors()
        .iter()
        .filter_map(|d| d.check_builds().err())
        .map(|e| e.to_string())
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
