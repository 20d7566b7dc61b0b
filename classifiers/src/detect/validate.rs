//! Validators: the checks a candidate match must pass before it counts.
//! This module names them for the catalog and holds the text heuristics
//! (entropy, placeholders, secret-likeness); check digits live in
//! [`super::checksums`] and token structure in [`super::structure`].

use crate::error::CatalogError;

/// A named check from a detector's `validator` field.
#[derive(Debug, Clone, PartialEq)]
pub enum Validator {
    /// The digits pass the Luhn checksum.
    Luhn,
    /// A payment card: 13 to 19 digits with one kind of separator, a known
    /// issuer prefix with a length that issuer uses, and a valid Luhn digit.
    PaymentCard,
    /// A US Social Security number: area not 000, 666 or 9xx; group not 00;
    /// serial not 0000.
    UsSsn,
    /// Shannon entropy of at least this many bits per character.
    Entropy(f64),
    /// Not a placeholder such as `password`, `changeme`, `${DB_PASS}`, `****`.
    NotPlaceholder,
    /// Looks like a literal secret rather than code: no call or template
    /// syntax, more than one character class, some entropy.
    SecretLike,
    /// A value a person or tool would set as a password: at least six
    /// characters, not a placeholder, reference, path or piece of code, not
    /// one repeated or sequential run, not a dictionary-like word alone.
    PasswordLike,
    /// The password of a URL's user information: percent-decoded (RFC 3986
    /// 3.2.1 encodes reserved characters there), then [`Validator::PasswordLike`].
    UrlPassword,
    /// One of the named check-digit or structure checks in
    /// [`super::checksums`] and [`super::structure`].
    Named(NamedCheck),
}

/// Check-digit and structure checks, by the name the catalog uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedCheck {
    Iban,
    Bic,
    Aba,
    Nhs,
    Npi,
    Dea,
    UkNino,
    DeTaxId,
    FrNir,
    EsDni,
    ItFiscalCode,
    NlBsn,
    PlPesel,
    SePersonnummer,
    FiHetu,
    BeNationalNumber,
    PtNif,
    IePpsn,
    DkCpr,
    UsItin,
    UsEin,
    Vin,
    Jwt,
    BasicAuth,
    OpensshPlain,
    OpensshEncrypted,
}

impl NamedCheck {
    /// The check a catalog name (its variant in snake case) stands for.
    fn named(name: &str) -> Option<NamedCheck> {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        let name: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.into_deserializer();
        NamedCheck::deserialize(name).ok()
    }

    fn proves(self) -> bool {
        !matches!(
            self,
            NamedCheck::Bic
                | NamedCheck::UkNino
                | NamedCheck::DkCpr
                | NamedCheck::UsItin
                | NamedCheck::UsEin
        )
    }

    fn check(self, s: &[u8]) -> bool {
        use super::{checksums as c, structure as st};
        match self {
            NamedCheck::Iban => c::iban(s),
            NamedCheck::Bic => c::bic(s),
            NamedCheck::Aba => c::aba(s),
            NamedCheck::Nhs => c::nhs(s),
            NamedCheck::Npi => c::npi(s),
            NamedCheck::Dea => c::dea(s),
            NamedCheck::UkNino => c::uk_nino(s),
            NamedCheck::DeTaxId => c::de_tax_id(s),
            NamedCheck::FrNir => c::fr_nir(s),
            NamedCheck::EsDni => c::es_dni(s),
            NamedCheck::ItFiscalCode => c::it_fiscal_code(s),
            NamedCheck::NlBsn => c::nl_bsn(s),
            NamedCheck::PlPesel => c::pl_pesel(s),
            NamedCheck::SePersonnummer => c::se_personnummer(s),
            NamedCheck::FiHetu => c::fi_hetu(s),
            NamedCheck::BeNationalNumber => c::be_national_number(s),
            NamedCheck::PtNif => c::pt_nif(s),
            NamedCheck::IePpsn => c::ie_ppsn(s),
            NamedCheck::DkCpr => c::dk_cpr(s),
            NamedCheck::UsItin => c::us_itin(s),
            NamedCheck::UsEin => c::us_ein(s),
            NamedCheck::Vin => c::vin(s),
            NamedCheck::Jwt => st::jwt(s),
            NamedCheck::BasicAuth => st::basic_auth(s),
            NamedCheck::OpensshPlain => st::openssh_cipher(s).is_some_and(|c| c == "none"),
            NamedCheck::OpensshEncrypted => st::openssh_cipher(s).is_some_and(|c| c != "none"),
        }
    }
}

impl Validator {
    /// Parses a comma-separated validator list.
    pub fn parse_list(detector: &str, spec: &str) -> Result<Vec<Validator>, CatalogError> {
        spec.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                Ok(match name {
                    "luhn" => Validator::Luhn,
                    "payment_card" => Validator::PaymentCard,
                    "us_ssn" => Validator::UsSsn,
                    "not_placeholder" => Validator::NotPlaceholder,
                    "secret_like" => Validator::SecretLike,
                    "password_like" => Validator::PasswordLike,
                    "url_password" => Validator::UrlPassword,
                    other => match (
                        NamedCheck::named(other),
                        other
                            .strip_prefix("entropy:")
                            .and_then(|v| v.parse::<f64>().ok()),
                    ) {
                        (Some(check), _) => Validator::Named(check),
                        (None, Some(bits)) => Validator::Entropy(bits),
                        (None, None) => {
                            return Err(CatalogError::Invalid {
                                classifier: "regex",
                                id: detector.to_string(),
                                problem: format!("unknown validator {other:?}"),
                            });
                        }
                    },
                })
            })
            .collect()
    }

    /// Whether passing this check proves the match is what its detector
    /// names (a check digit, a parsed structure), as opposed to a
    /// heuristic (entropy, placeholders, ranges) any random text can pass.
    /// Used by [`super::confidence::derive`].
    pub fn proves(&self) -> bool {
        match self {
            Validator::Luhn | Validator::PaymentCard => true,
            Validator::UsSsn
            | Validator::Entropy(_)
            | Validator::NotPlaceholder
            | Validator::SecretLike
            | Validator::PasswordLike
            | Validator::UrlPassword => false,
            Validator::Named(check) => check.proves(),
        }
    }

    /// Whether this check judges a free-form value by heuristics (what a
    /// password or secret looks like) rather than a vendor's format: the
    /// match is then as sure as a guess ([`super::confidence::derive`]).
    pub fn judges_free_form(&self) -> bool {
        matches!(
            self,
            Validator::PasswordLike | Validator::SecretLike | Validator::UrlPassword
        )
    }

    /// Whether a candidate secret passes this check.
    pub fn check(&self, secret: &[u8]) -> bool {
        match self {
            Validator::Luhn => super::checksums::luhn(secret),
            Validator::PaymentCard => super::checksums::payment_card(secret),
            Validator::UsSsn => super::checksums::us_ssn(secret),
            Validator::Entropy(bits) => shannon_entropy(secret) >= *bits,
            Validator::NotPlaceholder => !is_placeholder(secret),
            Validator::SecretLike => secret_like(secret),
            Validator::PasswordLike => password_like(secret),
            Validator::UrlPassword => {
                let decoded: Vec<u8> = percent_encoding::percent_decode(secret).collect();
                // Encoded spaces are URL-encoded prose, not a password.
                !decoded.iter().any(u8::is_ascii_whitespace) && password_like(&decoded)
            }
            Validator::Named(check) => check.check(secret),
        }
    }
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

const PLACEHOLDERS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "secret",
    "changeme",
    "change_me",
    "changeit",
    "example",
    "placeholder",
    "your_password",
    "yourpassword",
    "mypassword",
    "my_password",
    "redacted",
    "removed",
    "hidden",
    "xxxxxx",
    "dummy",
    "sample",
    "test",
    "testing",
    "foobar",
    "none",
    "null",
    "undefined",
    "password123",
    "<password>",
    "user",
    "username",
    "admin",
    "pwd",
    "token",
    "api_key",
    "apikey",
    "secret_key",
    "notasecret",
];

fn is_placeholder(s: &[u8]) -> bool {
    let text = String::from_utf8_lossy(s).to_ascii_lowercase();
    let t = text.trim_matches(|c| matches!(c, '"' | '\'' | '\\' | '#'));
    // "pass1" and "password123" are placeholders too.
    PLACEHOLDERS.contains(&t)
        || PLACEHOLDERS.contains(&t.trim_end_matches(|c: char| c.is_ascii_digit()))
        || t.bytes()
            .all(|b| matches!(b, b'*' | b'x' | b'.' | b'-' | b'#' | b'_' | b'0' | b'?'))
        || ["${", "{{", "<%", "%(", "$(", "#{", "%{", "${{"]
            .iter()
            .any(|p| t.starts_with(p))
        || (t.starts_with('<') && t.ends_with('>'))
        || (t.starts_with('$')
            && t[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        || [
            "example",
            "placeholder",
            "your_",
            "your-",
            "changeme",
            "xxxx",
            "redacted",
            "replace_me",
            "replaceme",
        ]
        .iter()
        .any(|p| t.contains(p))
}

/// Weak words that, alone or with digits and punctuation around them, are
/// defaults and documentation values rather than chosen passwords.
const WEAK_WORDS: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "toor",
    "guest",
    "default",
    "letmein",
    "welcome",
    "qwerty",
    "qwertyuiop",
    "asdf",
    "asdfgh",
    "zxcvbn",
    "abc",
    "abcd",
    "abcdef",
    "login",
    "master",
    "hello",
    "iloveyou",
    "monkey",
    "dragon",
    "tiger",
    "scott",
    "postgres",
    "mysql",
    "oracle",
    "mypass",
    "mysecret",
    "mysecretpassword",
    "supersecret",
    "topsecret",
    "secretkey",
    "secretpassword",
    "somepassword",
    "yourpassword",
    "newpassword",
    "oldpassword",
    "p@ssw0rd",
    "p@ssword",
    "passw0rd",
    "pa55word",
    "pa$$word",
    "hunter",
    "foo",
    "bar",
    "baz",
    "foobar",
    "keyboard cat",
    "cisco",
    "vagrant",
    "raspberry",
    "ubnt",
];

/// One run of the same byte, or of bytes rising or falling by one
/// (`aaaaaa`, `123456`, `fedcba`).
fn one_run(s: &[u8]) -> bool {
    s.windows(2).all(|w| w[0] == w[1])
        || s.windows(2).all(|w| w[1] == w[0].wrapping_add(1))
        || s.windows(2).all(|w| w[1] == w[0].wrapping_sub(1))
}

/// At most two such runs back to back (`abc123`, `aaaa1111`, `123456abcdef`).
fn two_runs(s: &[u8]) -> bool {
    (1..s.len()).any(|cut| one_run(&s[..cut]) && one_run(&s[cut..]))
}

fn password_like(s: &[u8]) -> bool {
    // Passwords are typed text: control bytes or broken UTF-8 mean the
    // match ran into binary data (compiled code, databases).
    let Ok(text) = std::str::from_utf8(s) else {
        return false;
    };
    if s.iter().any(|&b| b < 0x20 || b == 0x7F) {
        return false;
    }
    let t = text.trim_matches(|c| matches!(c, '"' | '\'' | '`'));
    let b = t.as_bytes();
    if b.len() < 6 || is_placeholder(b) || one_run(b) || two_runs(b) {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    // References and expressions: ${X}, $X, %X%, {{x}}, ENC(...), calls.
    let reference = [
        "${",
        "{{",
        "$(",
        "%(",
        "<%",
        "#{",
        "%{",
        "process.env",
        "os.environ",
        "getenv",
        "env(",
    ]
    .iter()
    .any(|p| lower.contains(p))
        || (b[0] == b'$'
            && b.get(1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_'))
        || (b[0] == b'%' && b[b.len() - 1] == b'%')
        || lower.starts_with("enc(")
        || (b[0] == b'{' && b[b.len() - 1] == b'}')
        || (b[b.len() - 1] == b')' && b.contains(&b'('))
        || (b[b.len() - 1] == b']' && b.contains(&b'['));
    if reference {
        return false;
    }
    // Paths and URLs are where a secret is kept, not the secret.
    if t.starts_with('/')
        || t.starts_with("./")
        || t.starts_with("~/")
        || lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("file:")
        || (b.len() > 2 && b[1] == b':' && b[2] == b'\\')
    {
        return false;
    }
    // Identifiers, constants and attribute paths (DB_PASSWORD, _S_token_x,
    // P11_KIT_URI_FOR_TOKEN, settings.db.password), C++ scopes (::Kind),
    // markup and URL-encoded prose.
    let word_chars = b
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.');
    let separated = b.contains(&b'_') || b.contains(&b'.');
    let constant = b
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_');
    if (word_chars
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && separated
        && (constant || !b.iter().any(u8::is_ascii_digit)))
        || b[0] == b':'
        || b.contains(&b'<')
        || lower.contains("%20")
        || lower.contains("password")
        || lower.contains("passwd")
    {
        return false;
    }
    if b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    // An e-mail address of plain words is what anonymous FTP asks for as a
    // password (RFC 1635) and what documentation writes (`user@site`).
    if let Some((user, host)) = lower.split_once('@') {
        let words = |s: &str| {
            !s.is_empty()
                && s.split('.')
                    .all(|w| !w.is_empty() && w.bytes().all(|c| c.is_ascii_lowercase()))
        };
        if words(user) && words(host) {
            return false;
        }
    }
    // Synopsis notation: an optional part in brackets (`[path/]file`).
    if let Some((_, rest)) = t.split_once('[') {
        if let Some((inside, _)) = rest.split_once(']') {
            if inside.bytes().filter(u8::is_ascii_lowercase).count() >= 2
                && inside
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || b"/_.-".contains(&c))
            {
                return false;
            }
        }
    }
    // A weak word alone, or wrapped in digits and punctuation (Welcome1!).
    let core = lower.trim_matches(|c: char| !c.is_ascii_alphabetic());
    if WEAK_WORDS.contains(&core) || PLACEHOLDERS.contains(&core) {
        return false;
    }
    // Letters alone: a word or words unless the case is mixed throughout
    // and vowels are as rare as in random text.
    if b.iter().all(u8::is_ascii_alphabetic) {
        let upper = b.iter().filter(|c| c.is_ascii_uppercase()).count();
        let vowels = lower.bytes().filter(|c| b"aeiou".contains(c)).count();
        if upper < 2 || upper == b.len() || vowels * 10 >= b.len() * 3 {
            return false;
        }
    }
    shannon_entropy(b) >= 2.3
}

fn secret_like(s: &[u8]) -> bool {
    if s.len() < 8 || s.iter().any(|b| b"(){}[]<>$`\\".contains(b)) {
        return false;
    }
    let text = String::from_utf8_lossy(s);
    // Identifiers, dotted attribute paths and file paths are code, not secrets.
    if s.iter()
        .all(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b'.')
        && !(s.iter().any(u8::is_ascii_uppercase)
            && s.iter().any(u8::is_ascii_lowercase)
            && s.len() >= 16)
    {
        return false;
    }
    if text.starts_with('/')
        || text.starts_with("./")
        || text.starts_with("http")
        || text.ends_with(".txt")
        || text.ends_with(".pem")
        || text.ends_with(".key")
        || text.ends_with(".json")
    {
        return false;
    }
    if s.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let classes = [
        s.iter().any(u8::is_ascii_lowercase),
        s.iter().any(u8::is_ascii_uppercase),
        s.iter().any(u8::is_ascii_digit),
        s.iter().any(|b| b.is_ascii_punctuation()),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    classes >= 2 && shannon_entropy(s) >= 2.8
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::checksums::{payment_card, us_ssn};

    #[test]
    fn payment_cards() {
        assert!(payment_card(b"4539 1488 0343 6467"));
        assert!(payment_card(b"4539148803436467"));
        assert!(payment_card(b"3714-496353-98431"));
        // Luhn fails by one digit.
        assert!(!payment_card(b"4539148803436468"));
        // Mixed separators, unknown issuer, one repeated digit.
        assert!(!payment_card(b"4539 1488-0343 6467"));
        assert!(!payment_card(b"9539148803436467"));
        assert!(!payment_card(b"0000000000000000"));
    }

    #[test]
    fn ssn_rules() {
        assert!(us_ssn(b"536-22-1234"));
        assert!(!us_ssn(b"666-22-1234"));
        assert!(!us_ssn(b"936-22-1234"));
        assert!(!us_ssn(b"536-00-1234"));
        assert!(!us_ssn(b"536-22-0000"));
    }

    #[test]
    fn entropy_and_placeholders() {
        assert!(shannon_entropy(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzzzz") > 4.0);
        assert!(shannon_entropy(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") < 0.1);
        assert!(is_placeholder(b"changeme"));
        assert!(is_placeholder(b"${DB_PASSWORD}"));
        assert!(is_placeholder(b"********"));
        assert!(!is_placeholder(b"Tr0ub4dor&3x"));
    }

    #[test]
    fn secret_like_rejects_code() {
        assert!(secret_like(b"Tr0ub4dor&3x"));
        assert!(!secret_like(b"get_password(user)"));
        assert!(!secret_like(b"self.password"));
        assert!(!secret_like(b"/etc/app/secret.key"));
        assert!(!secret_like(b"12345678"));
    }

    #[test]
    fn password_like_accepts_chosen_passwords() {
        for good in [
            &b"Tr0ub4dor&3x"[..],
            b"xK9#mQ2v",
            b"s3cr3t-Rotat10n",
            b"P4$$w0rd!2024zq",
            b"kXqTbzPwRmLd",
            b"8f3a9c1e77d2",
        ] {
            assert!(password_like(good), "{}", String::from_utf8_lossy(good));
        }
    }

    #[test]
    fn password_like_rejects_placeholders_and_references() {
        for bad in [
            &b"changeme"[..],
            b"${DB_PASSWORD}",
            b"$DB_PASSWORD",
            b"%DB_PASSWORD%",
            b"{{ vault_db_password }}",
            b"<password>",
            b"xxxxxxxx",
            b"000000",
            b"123456789",
            b"abcdef",
            b"abc123",
            b"aaaa1111",
            b"fedcba",
            b"sunshine",
            b"Welcome1!",
            b"admin123",
            b"mysecretpassword",
            b"Password",
            b"DB_PASSWORD",
            b"settings.db.password",
            b"get_password(user)",
            b"sim_auth[0]",
            b"{auth_token}",
            b"ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)",
            b"/run/secrets/db_password",
            b"https://vault.internal/v1/secret",
            b"84736291",
            b"abc1",
            b"keyboard cat",
            b"your_password_here",
            b"_S_token_ord_char",
            b"P11_KIT_URI_FOR_OBJECT",
            b":_Stop_state_ref",
            b"sample</code>",
            b"Root%20CA%20Certificates",
            b"ownerPassword@entry=0x1165830",
            b"guest@mirror",
            b"ftpuser@host.domain",
            b"[dir/]archive.tgz",
            b"\xe9\x02\0\0\0z\x07macdef",
            b"Qz8\x01vLp2Wm",
        ] {
            assert!(!password_like(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn url_passwords_are_judged_decoded() {
        let url_password = Validator::parse_list("x", "url_password").unwrap();
        // `he%2F%2Fo` is `he//o`: five characters, too short to be chosen.
        assert!(!url_password[0].check(b"he%2F%2Fo"));
        assert!(url_password[0].check(b"Vq7%40mZk2%2Fr"));
        assert!(!url_password[0].check(b"%24%7BDB_PASS%7D"));
        assert!(!url_password[0].check(b"Root%20CA%20Certificates"));
    }

    #[test]
    fn unknown_validator_is_an_error() {
        assert!(Validator::parse_list("x", "luhn,bogus").is_err());
        assert_eq!(
            Validator::parse_list("x", "luhn, entropy:3.5").unwrap(),
            vec![Validator::Luhn, Validator::Entropy(3.5)]
        );
    }
}
