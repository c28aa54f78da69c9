//! wazo-auth's ACL matching: does a token's ACL list grant a required access?
//!
//! The rules are those of `AccessCheck` in xivo-lib-python
//! (`xivo/auth_verifier.py`), which wazo-auth and wazo-websocketd both use:
//!
//! - an entry is a dotted pattern; `*` stands for any run of characters other
//!   than `.` and `#` (inside one word, possibly empty), `#` for any run of
//!   characters at all (dots included, possibly empty);
//! - a whole word `me` also matches the token's user uuid, `my_session` the
//!   token's session uuid, and `edit` also matches `update` (a deprecated suffix);
//! - every entry is anchored at both ends (with Python's `$`, a single trailing
//!   newline in the required access is tolerated);
//! - entries starting with `!` deny: any denying match wins over any granting one;
//! - no required access (`None`) is always granted.

use regex::Regex;

/// A compiled ACL list for one token: its user uuid and session uuid are
/// substituted for `me` and `my_session`.
#[derive(Debug, Clone)]
pub struct AccessCheck {
    granting: Vec<Regex>,
    denying: Vec<Regex>,
}

impl AccessCheck {
    /// Compiles `acl` for the token of user `user_uuid` in session `session_uuid`.
    pub fn new(user_uuid: &str, session_uuid: &str, acl: &[String]) -> Self {
        let mut granting = Vec::new();
        let mut denying = Vec::new();
        for entry in acl {
            match entry.strip_prefix('!') {
                Some(denied) => denying.push(compile(user_uuid, session_uuid, denied)),
                None => granting.push(compile(user_uuid, session_uuid, entry)),
            }
        }
        Self { granting, denying }
    }

    /// Whether `required` is granted (`None` always is).
    pub fn matches(&self, required: Option<&str>) -> bool {
        let Some(required) = required else {
            return true;
        };
        if self.denying.iter().any(|regex| regex.is_match(required)) {
            return false;
        }
        self.granting.iter().any(|regex| regex.is_match(required))
    }
}

/// The anchored regular expression for one ACL entry.
fn compile(user_uuid: &str, session_uuid: &str, entry: &str) -> Regex {
    let words: Vec<String> = entry
        .split('.')
        .map(|word| match word {
            "me" => alternatives("me", user_uuid),
            "my_session" => alternatives("my_session", session_uuid),
            "edit" => alternatives("edit", "update"),
            other => pattern_word(other),
        })
        .collect();
    // `\n?` then the end: Python's `$` also matches before a final newline.
    let source = format!(r"\A(?:{})\n?\z", words.join(r"\."));
    // Every piece is escaped or one of two fixed fragments, so the pattern is
    // always valid; a failure here would be a bug in this function.
    Regex::new(&source).unwrap_or_else(|error| unreachable!("ACL pattern {source:?}: {error}"))
}

/// `(word|value)`, both literal.
fn alternatives(word: &str, value: &str) -> String {
    format!("(?:{}|{})", regex::escape(word), regex::escape(value))
}

/// One word of an entry: literal text with `*` and `#` as wildcards.
fn pattern_word(word: &str) -> String {
    let mut out = String::new();
    let mut literal = String::new();
    for character in word.chars() {
        let wildcard = match character {
            '*' => "[^.#]*?",
            '#' => ".*?",
            _ => {
                literal.push(character);
                continue;
            }
        };
        out.push_str(&regex::escape(&literal));
        literal.clear();
        out.push_str(wildcard);
    }
    out.push_str(&regex::escape(&literal));
    out
}

#[cfg(test)]
mod tests {
    use super::AccessCheck;

    /// The reference matcher's tests use this user uuid and session uuid.
    const USER: &str = "123";
    const SESSION: &str = "session-uuid";

    /// Groups of (token ACL, [(required access, granted)]): the scenarios of
    /// xivo-lib-python's `TestAccessCheck` (`xivo/tests/test_auth_verifier.py`),
    /// then cases for the rules its scenarios leave implicit.
    /// A token's ACL and the (required access, granted) cases checked against it.
    type Group = (&'static [&'static str], &'static [(&'static str, bool)]);

    const TABLE: &[Group] = &[
        (
            &["foo.bar.#"],
            &[
                ("foo.bar", false),
                ("foo.bar.toto", true),
                ("foo.bar.toto.tata", true),
                ("other.bar.toto", false),
                ("foo.bar.*", true),
                ("foo.bar.*.*", true),
                ("foo.bar.#", true),
                ("*.bar.toto", false),
                ("*.*.toto", false),
                ("#.bar.toto", false),
            ],
        ),
        (
            &["foo.bar.toto"],
            &[
                ("foo.bar.toto", true),
                ("foo.bar.toto.tata", false),
                ("other.bar.toto", false),
                ("foo.bar.*", false),
                ("foo.bar.#", false),
                ("*.bar.toto", false),
                ("#.bar.toto", false),
            ],
        ),
        (
            &["foo.*.*"],
            &[
                ("foo.bar.toto", true),
                ("foo.bar.toto.tata", false),
                ("other.bar.toto", false),
                ("foo.*.*", true),
                ("foo.*", false),
                ("foo.bar.#", false),
                ("*.bar.toto", false),
                ("#.bar.toto", false),
            ],
        ),
        (
            &["foo", "foo.bar.toto", "other.#"],
            &[
                ("foo", true),
                ("foo.bar", false),
                ("foo.bar.toto", true),
                ("foo.bar.toto.tata", false),
                ("other.bar.toto", true),
                ("*", false),
                ("*.*.toto", false),
                ("#", false),
            ],
        ),
        (
            &["foo.bar.#.titi"],
            &[
                ("foo.bar", false),
                ("foo.bar.toto", false),
                ("foo.bar.toto.tata", false),
                ("foo.bar.toto.tata.titi", true),
                ("foo.bar.#.titi", true),
                ("foo.bar.*.*", false),
                ("foo.bar.*.titi", true),
                ("foo.bar.*.*.titi", true),
                ("foo.bar.#", false),
                ("foo.bar.titi", false),
            ],
        ),
        (
            &["foo.#.me"],
            &[
                ("foo.bar", false),
                ("foo.bar.me", true),
                ("foo.bar.123", true),
                ("foo.bar.toto.me", true),
                ("foo.bar.toto.123", true),
                ("foo.bar.toto.me.titi", false),
                ("foo.bar.toto.123.titi", false),
                ("foo.*.123", true),
                ("foo.*.456", false),
                ("foo.#.me", true),
                ("foo.#.notme", false),
                ("foo.*.*.123", true),
                ("foo.*", false),
                ("foo.#", false),
            ],
        ),
        (
            &["foo.#.me.bar"],
            &[
                ("foo.bar.123", false),
                ("foo.bar.me", false),
                ("foo.bar.123.bar", true),
                ("foo.bar.me.bar", true),
                ("foo.bar.toto.123.bar", true),
                ("foo.bar.toto.me.bar", true),
                ("foo.*.123.bar", true),
                ("foo.*.456.bar", false),
                ("foo.#.me.bar", true),
                ("foo.#.notme.bar", false),
                ("foo.*.*.123.bar", true),
                ("foo.*.bar", false),
                ("foo.#.bar", false),
            ],
        ),
        (&["!foo.me.bar"], &[("foo.me.bar", false)]),
        (
            &["foo.me.bar", "!foo.me.bar", "foo.me.bar"],
            &[("foo.me.bar", false)],
        ),
        (
            &["!foo.me.bar.#", "foo.me.bar.123"],
            &[("foo.me.bar.123", false)],
        ),
        (
            &["foo.#", "!foo.me.bar.#", "foo.me.bar.123"],
            &[("foo.me.bar.123", false)],
        ),
        (
            &["foo.*.bar", "!foo.123.bar"],
            &[("foo.me.bar", true), ("foo.123.bar", false)],
        ),
        (&["!*.bar", "foo.bar"], &[("foo.bar", false)]),
        (&["foo.bar"], &[("!foo.bar", false), ("!anything", false)]),
        (
            &["foo.my_session"],
            &[
                ("foo.session-uuid", true),
                ("foo.my_session", true),
                ("foo.another-session-uuid", false),
            ],
        ),
        (
            &["foo.edit"],
            &[
                ("foo.edit", true),
                ("foo.update", true),
                ("foo.edit.update", false),
            ],
        ),
        // Beyond the reference's scenarios: the rules as the regex builds them.
        (&[], &[("foo", false), ("", false)]),
        (&["events.#"], &[("events", false), ("events.", true)]),
        (
            &["events.calls.*"],
            &[
                ("events.calls.", true),
                ("events.calls.x.y", false),
                ("events.calls", false),
            ],
        ),
        (
            &["events.*s"],
            &[("events.calls", true), ("events.call", false)],
        ),
        (&["*"], &[("a.b", false), ("websocketd", true), ("", true)]),
        (&["#"], &[("anything.at.all", true), ("", true)]),
        (
            &["events.me_too", "edit_me"],
            &[
                ("events.123_too", false),
                ("events.me_too", true),
                ("update_me", false),
            ],
        ),
        (&["update"], &[("edit", false)]),
        (
            &["foo.bar"],
            &[
                ("foo.bar\n", true),
                ("foo.bar\n\n", false),
                ("fooxbar", false),
            ],
        ),
        (&["a+b.(c)"], &[("a+b.(c)", true), ("aab.c", false)]),
        (
            &["websocketd"],
            &[("websocketd", true), ("websocketd.x", false)],
        ),
    ];

    #[test]
    fn the_reference_table() {
        for (acl, cases) in TABLE {
            let acl: Vec<String> = acl.iter().map(|entry| (*entry).to_owned()).collect();
            let check = AccessCheck::new(USER, SESSION, &acl);
            for (required, granted) in *cases {
                assert_eq!(
                    check.matches(Some(required)),
                    *granted,
                    "ACL {acl:?} against {required:?}"
                );
            }
        }
    }

    #[test]
    fn no_required_access_is_always_granted() {
        assert!(AccessCheck::new(USER, SESSION, &[]).matches(None));
        assert!(AccessCheck::new(USER, SESSION, &["!#".to_owned()]).matches(None));
    }
}
