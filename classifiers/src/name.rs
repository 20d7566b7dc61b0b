//! Object names: the last segment of a key or path, and its extension. One
//! place, so that every classifier splits names the same way (on `/` and
//! `\`).

/// The last segment of a key or path.
///
/// ```
/// use assay_classifiers::name::basename;
/// assert_eq!(basename("prod/config/.env"), ".env");
/// assert_eq!(basename("C:\\Users\\me\\id_rsa"), "id_rsa");
/// assert_eq!(basename("notes.txt"), "notes.txt");
/// ```
pub fn basename(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// The extension of a file name: lower case, compound where the catalog
/// knows the compound (`tar.gz`), and the name itself for dotfiles
/// (`.env`, `.htpasswd`).
///
/// ```
/// use assay_classifiers::name::extension_of;
/// let known = |e: &str| e == "tar.gz";
/// assert_eq!(extension_of("backup.TAR.GZ", known).as_deref(), Some("tar.gz"));
/// assert_eq!(extension_of("notes.txt", known).as_deref(), Some("txt"));
/// assert_eq!(extension_of("prod/.env.production", known).as_deref(), Some("env"));
/// assert_eq!(extension_of("Makefile", known), None);
/// ```
pub fn extension_of(name: &str, is_known: impl Fn(&str) -> bool) -> Option<String> {
    let base = basename(name).to_ascii_lowercase();
    if let Some(dotfile) = base.strip_prefix('.') {
        let first = dotfile.split('.').next().unwrap_or(dotfile);
        if first == "env" || !dotfile.contains('.') {
            return (!first.is_empty()).then(|| first.to_string());
        }
    }
    let parts: Vec<&str> = base.split('.').collect();
    if parts.len() < 2 || parts.last().is_some_and(|p| p.is_empty()) {
        return None;
    }
    if parts.len() >= 3 {
        let compound = format!("{}.{}", parts[parts.len() - 2], parts[parts.len() - 1]);
        if is_known(&compound) {
            return Some(compound);
        }
    }
    parts.last().map(|p| p.to_string())
}
