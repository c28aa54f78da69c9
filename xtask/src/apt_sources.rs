//! The machine's own apt sources: where `cargo xtask rabbitmq image` gets
//! Debian's (or Ubuntu's) packages from. Read at run time, so that no
//! mirror is ever written into the repository.
//!
//! Both formats are read: one-line `deb [options] URI SUITE COMPONENT…`
//! (`/etc/apt/sources.list`, `sources.list.d/*.list`) and deb822 stanzas
//! (`sources.list.d/*.sources`).

use std::path::{Path, PathBuf};

/// One `deb` source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptSource {
    /// `http://deb.debian.org/debian`.
    pub uri: String,
    /// `bookworm`, `noble`, …
    pub suite: String,
    /// `main`, `universe`, …
    pub components: Vec<String>,
    /// The keyring apt checks this source with, when it names a file.
    pub keyring: Option<PathBuf>,
}

/// Every `deb` source of the machine's apt configuration under `root`
/// (`/` normally), in the order apt reads them.
pub fn read(root: &Path) -> Vec<AptSource> {
    let apt = root.join("etc/apt");
    let mut sources = Vec::new();
    if let Ok(text) = std::fs::read_to_string(apt.join("sources.list")) {
        sources.extend(parse_one_line(&text));
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(apt.join("sources.list.d"))
        .map(|entries| {
            entries
                .filter_map(|entry| Some(entry.ok()?.path()))
                .collect()
        })
        .unwrap_or_default();
    parts.sort();
    for path in parts {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        match path.extension().and_then(|ext| ext.to_str()) {
            Some("list") => sources.extend(parse_one_line(&text)),
            Some("sources") => sources.extend(parse_deb822(&text)),
            _ => {}
        }
    }
    sources
}

/// The source to bootstrap from: the first whose suite is a release
/// (`bookworm`, not `bookworm-updates` or `bookworm-security`) that
/// `is_known_suite` accepts (debootstrap has a script for it).
pub fn release_source(
    sources: &[AptSource],
    is_known_suite: impl Fn(&str) -> bool,
) -> Option<&AptSource> {
    sources
        .iter()
        .find(|source| !source.suite.contains('-') && is_known_suite(&source.suite))
}

/// `deb [signed-by=/usr/share/keyrings/x.gpg] http://host/debian bookworm main contrib`.
fn parse_one_line(text: &str) -> Vec<AptSource> {
    let mut sources = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let rest = rest.trim_start();
        let (options, rest) = match rest.strip_prefix('[') {
            Some(bracketed) => match bracketed.split_once(']') {
                Some((options, rest)) => (options, rest),
                None => continue,
            },
            None => ("", rest),
        };
        let keyring = options
            .split_whitespace()
            .find_map(|option| option.strip_prefix("signed-by="))
            .and_then(keyring_file);
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        sources.push(AptSource {
            uri: uri.to_owned(),
            suite: suite.to_owned(),
            components: words.map(str::to_owned).collect(),
            keyring,
        });
    }
    sources
}

/// deb822 stanzas: `Types: deb`, `URIs:`, `Suites:`, `Components:`,
/// `Signed-By:`, `Enabled: no`; one source per URI and suite.
fn parse_deb822(text: &str) -> Vec<AptSource> {
    let mut sources = Vec::new();
    for stanza in text.split("\n\n") {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in stanza.lines() {
            if line.trim_start().starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                // A continuation line (an inline key block): part of the last field.
                if let Some((_, value)) = fields.last_mut() {
                    value.push('\n');
                    value.push_str(line.trim());
                }
                continue;
            }
            if let Some((key, value)) = line.split_once(':') {
                fields.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let field = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let is_deb =
            field("types").is_some_and(|types| types.split_whitespace().any(|t| t == "deb"));
        let enabled = field("enabled").is_none_or(|value| value != "no");
        if !is_deb || !enabled {
            continue;
        }
        let components: Vec<String> = field("components")
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let keyring = field("signed-by").and_then(keyring_file);
        for uri in field("uris").unwrap_or("").split_whitespace() {
            for suite in field("suites").unwrap_or("").split_whitespace() {
                sources.push(AptSource {
                    uri: uri.to_owned(),
                    suite: suite.to_owned(),
                    components: components.clone(),
                    keyring: keyring.clone(),
                });
            }
        }
    }
    sources
}

/// A `Signed-By` value that names a binary keyring file (debootstrap's
/// `--keyring` takes no inline keys).
fn keyring_file(value: &str) -> Option<PathBuf> {
    let value = value.trim();
    (value.starts_with('/') && !value.contains('\n')).then(|| PathBuf::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEB822: &str = "\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.test/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.test/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.test/debian
Suites: trixie
Components: main
";

    #[test]
    fn deb822_stanzas_give_one_source_per_suite() {
        let sources = parse_deb822(DEB822);
        let suites: Vec<&str> = sources.iter().map(|s| s.suite.as_str()).collect();
        assert_eq!(
            suites,
            ["bookworm", "bookworm-updates", "bookworm-security"]
        );
        assert_eq!(sources[0].uri, "http://mirror.test/debian");
        assert_eq!(sources[0].components, ["main"]);
        assert_eq!(
            sources[0].keyring.as_deref(),
            Some(Path::new("/usr/share/keyrings/debian-archive-keyring.gpg"))
        );
    }

    #[test]
    fn disabled_stanzas_and_inline_keys_are_handled() {
        let text = "Types: deb\nURIs: http://a.test/ubuntu\nSuites: noble\nComponents: main universe\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n xyz\n\nTypes: deb\nEnabled: no\nURIs: http://b.test/\nSuites: noble\nComponents: main\n";
        let sources = parse_deb822(text);
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].components, ["main", "universe"]);
        assert_eq!(sources[0].keyring, None);
    }

    #[test]
    fn one_line_sources_with_options_and_comments() {
        let text = "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://a.test/debian bookworm main contrib # trailing\ndeb-src http://a.test/debian bookworm main\ndeb http://a.test/debian bookworm-updates main\n";
        let sources = parse_one_line(text);
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[0].suite, "bookworm");
        assert_eq!(sources[0].components, ["main", "contrib"]);
        assert_eq!(sources[0].keyring.as_deref(), Some(Path::new("/k.gpg")));
    }

    #[test]
    fn the_release_suite_is_chosen_over_updates_and_security() {
        let sources = parse_deb822(DEB822);
        let chosen = release_source(&sources[1..], |_| true).map(|s| s.suite.as_str());
        assert_eq!(chosen, None, "only -updates and -security are left");
        let chosen = release_source(&sources, |suite| suite == "bookworm").unwrap();
        assert_eq!(chosen.suite, "bookworm");
        assert_eq!(release_source(&sources, |_| false), None);
    }
}
