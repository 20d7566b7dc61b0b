//! Static names read back from stored records: a record's fixed-vocabulary
//! fields (a detector's category, an error's kind) are `&'static str`, and
//! reading them from JSON (the incremental-scan state) maps each distinct
//! name to one leaked copy. The vocabularies are small and fixed, so the
//! memory is bounded.

use std::collections::HashSet;
use std::sync::Mutex;

use serde::{Deserialize, Deserializer};

/// A fixed-vocabulary name. (An alias: serde would otherwise try to borrow
/// a `&'static str` field from its input.)
pub type StaticName = &'static str;

/// The one static copy of `name`.
pub fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let names = names.get_or_insert_with(HashSet::new);
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// `#[serde(deserialize_with = "intern::deserialize")]` for `&'static str` fields.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    let name = String::deserialize(deserializer)?;
    Ok(intern(&name))
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_copy_per_name() {
        let a = super::intern(&String::from("credentials"));
        let b = super::intern(&String::from("credentials"));
        assert!(std::ptr::eq(a, b));
    }
}
