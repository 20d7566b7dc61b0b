//! The file-extension classifier: the risk an object's name carries, and
//! whether the name contradicts the detected content (a `.jpg` that is a zip).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, ExtensionItem};
use crate::name::extension_of;
use crate::sniffed::{Sniffed, TextEncoding};

/// The extension classification of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionResult {
    /// Lower case, without the dot; `None` when the name has no extension.
    pub ext: Option<String>,
    pub risk: u8,
    pub mismatch: bool,
    /// Whether the extension is a catalog item (an unknown one rates 1).
    #[serde(skip)]
    pub in_catalog: bool,
}

/// Looks extensions up in the catalog.
pub struct ExtensionClassifier {
    items: HashMap<String, ExtensionItem>,
    classes: HashMap<String, crate::catalog::ContentClass>,
}

impl ExtensionClassifier {
    pub fn new(catalog: &Catalog) -> Self {
        Self {
            items: catalog
                .extensions
                .iter()
                .filter(|e| e.enabled)
                .map(|e| (e.ext.clone(), e.clone()))
                .collect(),
            classes: catalog
                .content_types
                .iter()
                .map(|c| (c.mime.clone(), c.class))
                .collect(),
        }
    }

    /// Classifies a name, given what the content turned out to be.
    pub fn classify(&self, name: &str, content: Option<&Sniffed>) -> ExtensionResult {
        let ext = extension_of(name, |e| self.items.contains_key(e));
        let Some(item) = ext.as_deref().and_then(|e| self.items.get(e)) else {
            return ExtensionResult {
                ext,
                risk: 1,
                mismatch: false,
                in_catalog: false,
            };
        };
        let mismatch = content.is_some_and(|c| self.contradicts(item, c));
        ExtensionResult {
            ext,
            risk: item.risk,
            mismatch,
            in_catalog: true,
        }
    }

    fn contradicts(&self, item: &ExtensionItem, content: &Sniffed) -> bool {
        if item.expects.is_empty() || content.mime == "application/x-empty" {
            return false;
        }
        let class = self
            .classes
            .get(content.mime)
            .map_or("binary", |class| class.as_str());
        let textual = content.encoding != TextEncoding::Binary;
        !item.expects.iter().any(|expected| match expected.as_str() {
            "textual" => textual,
            "binary" => !textual,
            other => other == content.mime || other == class,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniffed(mime: &'static str, encoding: TextEncoding) -> Sniffed {
        Sniffed { mime, encoding }
    }

    #[test]
    fn catalog_risks_and_unknown_extensions() {
        let c = ExtensionClassifier::new(&Catalog::builtin().unwrap());
        assert_eq!(c.classify("mail/archive.PST", None).risk, 8);
        assert_eq!(
            c.classify("dump.tar.gz", None).ext.as_deref(),
            Some("tar.gz")
        );
        let unknown = c.classify("x.zzqq", None);
        assert_eq!(
            (unknown.ext.as_deref(), unknown.risk, unknown.in_catalog),
            (Some("zzqq"), 1, false)
        );
        assert_eq!(c.classify("README", None).ext, None);
        assert_eq!(c.classify("deploy/.env", None).risk, 7);
    }

    #[test]
    fn mismatch_only_when_content_contradicts_name() {
        let c = ExtensionClassifier::new(&Catalog::builtin().unwrap());
        assert!(
            c.classify(
                "holiday.jpg",
                Some(&sniffed("application/zip", TextEncoding::Binary))
            )
            .mismatch
        );
        assert!(
            !c.classify(
                "holiday.jpg",
                Some(&sniffed("image/jpeg", TextEncoding::Binary))
            )
            .mismatch
        );
        assert!(
            c.classify(
                "notes.txt",
                Some(&sniffed("application/x-executable", TextEncoding::Binary))
            )
            .mismatch
        );
        // Text of another text format is not a contradiction.
        assert!(
            !c.classify(
                "notes.txt",
                Some(&sniffed("application/json", TextEncoding::Utf8))
            )
            .mismatch
        );
        assert!(
            !c.classify(
                "report.docx",
                Some(&sniffed("application/zip", TextEncoding::Binary))
            )
            .mismatch
        );
        assert!(
            !c.classify(
                "empty.pdf",
                Some(&sniffed("application/x-empty", TextEncoding::Binary))
            )
            .mismatch
        );
    }
}
