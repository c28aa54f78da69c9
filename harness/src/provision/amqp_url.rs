//! A validated `amqp://` URL, as RabbitMQ's URI specification defines it.
//!
//! Every part of switchboard that talks to a broker (publisher, recorder,
//! provisioners) takes an [`AmqpUrl`], so a URL is checked once, where the user
//! typed it, and errors later on can name the broker without ever printing
//! its password: [`AmqpUrl`]'s `Display` leaves the credentials out.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

/// The port RabbitMQ listens on when a URL names none.
pub const DEFAULT_AMQP_PORT: u16 = 5672;

/// A broker address that has passed validation: scheme, host, port, virtual
/// host, credentials and the query parameters switchboard understands.
#[derive(Clone, PartialEq, Eq)]
pub struct AmqpUrl {
    host: String,
    port: u16,
    vhost: String,
    user: String,
    password: String,
    heartbeat: Option<u16>,
    connection_timeout: Option<Duration>,
}

/// Why a broker URL was rejected. The URL in each message has its password masked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AmqpUrlError {
    /// The text is not a URL at all.
    #[error("invalid broker URL '{url}': {cause}")]
    Syntax {
        /// The URL, password masked.
        url: String,
        /// What the URL parser objected to.
        cause: url::ParseError,
    },
    /// A scheme other than `amqp`.
    #[error("invalid broker URL '{url}': the scheme must be amqp:// (found '{scheme}://')")]
    Scheme {
        /// The URL, password masked.
        url: String,
        /// The scheme found.
        scheme: String,
    },
    /// `amqps://`: TLS is not built in.
    #[error(
        "invalid broker URL '{url}': amqps:// (TLS) is not supported by this build of switchboard; use amqp://"
    )]
    Tls {
        /// The URL, password masked.
        url: String,
    },
    /// No host after `amqp://`.
    #[error("invalid broker URL '{url}': it names no host")]
    NoHost {
        /// The URL, password masked.
        url: String,
    },
    /// The path holds more than one segment.
    #[error(
        "invalid broker URL '{url}': the path must be a single virtual host (write '/' as %2f, e.g. amqp://host/%2f)"
    )]
    Vhost {
        /// The URL, password masked.
        url: String,
    },
    /// A user name, password or virtual host that is not valid UTF-8 once decoded.
    #[error("invalid broker URL '{url}': the {part} is not valid UTF-8 once percent-decoded")]
    Encoding {
        /// The URL, password masked.
        url: String,
        /// `user name`, `password` or `virtual host`.
        part: &'static str,
    },
    /// A query parameter switchboard does not know or whose value is not a number.
    #[error(
        "invalid broker URL '{url}': unsupported query parameter '{parameter}' (supported: heartbeat=SECONDS, connection_timeout=MILLISECONDS)"
    )]
    Query {
        /// The URL, password masked.
        url: String,
        /// The offending `key=value`.
        parameter: String,
    },
}

impl AmqpUrl {
    /// A URL for a broker on `127.0.0.1:port`, vhost `/`, user `guest`: what
    /// the embedded broker and the locally spawned RabbitMQ offer.
    pub fn localhost(port: u16) -> Self {
        Self::guest_at("127.0.0.1", port)
    }

    /// A URL for `host:port`, vhost `/`, user `guest`: what a fresh RabbitMQ
    /// (a container, for instance) offers.
    pub fn guest_at(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            vhost: "/".to_owned(),
            user: "guest".to_owned(),
            password: "guest".to_owned(),
            heartbeat: None,
            connection_timeout: None,
        }
    }

    /// The host name or IP address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The virtual host, decoded (`/` for RabbitMQ's default).
    pub fn vhost(&self) -> &str {
        &self.vhost
    }

    /// The user name, decoded (`guest` when the URL gives none).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password, decoded. Never shown by `Display`; use it only to log in.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The heartbeat interval the URL asks for (`?heartbeat=SECONDS`), if any.
    pub fn heartbeat(&self) -> Option<u16> {
        self.heartbeat
    }

    /// The connection timeout the URL asks for (`?connection_timeout=MS`), if any.
    pub fn connection_timeout(&self) -> Option<Duration> {
        self.connection_timeout
    }

    /// The URL with its credentials, for handing to another program (a
    /// consumer under test) that must log in. Do not print it.
    pub fn to_url_with_credentials(&self) -> String {
        format!(
            "amqp://{}:{}@{}:{}/{}",
            encode(&self.user),
            encode(&self.password),
            self.host_for_url(),
            self.port,
            encode(&self.vhost)
        )
    }

    fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

/// Shows `amqp://HOST:PORT/VHOST`: no user name, no password.
impl fmt::Display for AmqpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let vhost = if self.vhost == "/" {
            String::new()
        } else {
            encode(&self.vhost)
        };
        write!(f, "amqp://{}:{}/{}", self.host_for_url(), self.port, vhost)
    }
}

/// Debug output is the credential-free `Display`, plus the user name.
impl fmt::Debug for AmqpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmqpUrl({self}, user={:?})", self.user)
    }
}

impl FromStr for AmqpUrl {
    type Err = AmqpUrlError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let shown = || mask_password(raw);
        let url = Url::parse(raw).map_err(|source| AmqpUrlError::Syntax {
            url: shown(),
            cause: source,
        })?;
        match url.scheme() {
            "amqp" => {}
            "amqps" => return Err(AmqpUrlError::Tls { url: shown() }),
            other => {
                return Err(AmqpUrlError::Scheme {
                    url: shown(),
                    scheme: other.to_owned(),
                });
            }
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(address)) => address.to_string(),
            Some(host) => host.to_string(),
            None => return Err(AmqpUrlError::NoHost { url: shown() }),
        };
        if host.is_empty() {
            return Err(AmqpUrlError::NoHost { url: shown() });
        }
        let decode_part = |text: &str, part: &'static str| {
            percent_decode(text).ok_or(AmqpUrlError::Encoding { url: shown(), part })
        };
        // RabbitMQ's URI spec: an absent path means vhost "/", an empty one means "".
        // We take both as "/", the only sensible default for a test harness.
        let path = url.path().strip_prefix('/').unwrap_or(url.path());
        if path.contains('/') {
            return Err(AmqpUrlError::Vhost { url: shown() });
        }
        let vhost = if path.is_empty() {
            "/".to_owned()
        } else {
            decode_part(path, "virtual host")?
        };
        let user = match url.username() {
            "" => "guest".to_owned(),
            user => decode_part(user, "user name")?,
        };
        let password = match url.password() {
            None => "guest".to_owned(),
            Some(password) => decode_part(password, "password")?,
        };
        let mut parsed = Self {
            host,
            port: url.port().unwrap_or(DEFAULT_AMQP_PORT),
            vhost,
            user,
            password,
            heartbeat: None,
            connection_timeout: None,
        };
        for (key, value) in url.query_pairs() {
            let bad = || AmqpUrlError::Query {
                url: shown(),
                parameter: format!("{key}={value}"),
            };
            match key.as_ref() {
                "heartbeat" => parsed.heartbeat = Some(value.parse().map_err(|_| bad())?),
                "connection_timeout" => {
                    let millis: u64 = value.parse().map_err(|_| bad())?;
                    parsed.connection_timeout = Some(Duration::from_millis(millis));
                }
                _ => return Err(bad()),
            }
        }
        Ok(parsed)
    }
}

/// Replaces the password of a URL-looking text with `****`, without
/// needing the text to parse: error messages about a malformed URL must not
/// leak the password either.
pub fn mask_password(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://") else {
        return raw.to_owned();
    };
    let authority_start = scheme_end + 3;
    let rest = &raw[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let Some(at) = authority.rfind('@') else {
        return raw.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return raw.to_owned();
    };
    format!(
        "{}{}:****{}",
        &raw[..authority_start],
        &userinfo[..colon],
        &raw[authority_start + at..]
    )
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        "amqp://guest:guest@127.0.0.1:5672/%2f",
        "127.0.0.1",
        5672,
        "/",
        "guest",
        "guest"
    )]
    #[case("amqp://localhost", "localhost", 5672, "/", "guest", "guest")]
    #[case("amqp://u%40x:p%3Aw@h:1234/wazo", "h", 1234, "wazo", "u@x", "p:w")]
    #[case("amqp://bob@[::1]:5673/", "::1", 5673, "/", "bob", "guest")]
    fn parses_the_parts(
        #[case] raw: &str,
        #[case] host: &str,
        #[case] port: u16,
        #[case] vhost: &str,
        #[case] user: &str,
        #[case] password: &str,
    ) {
        let url: AmqpUrl = raw.parse().unwrap();
        assert_eq!(
            (
                url.host(),
                url.port(),
                url.vhost(),
                url.user(),
                url.password()
            ),
            (host, port, vhost, user, password)
        );
    }

    #[test]
    fn reads_the_supported_query_parameters() {
        let url: AmqpUrl = "amqp://h/?heartbeat=5&connection_timeout=2500"
            .parse()
            .unwrap();
        assert_eq!(url.heartbeat(), Some(5));
        assert_eq!(url.connection_timeout(), Some(Duration::from_millis(2500)));
    }

    #[rstest]
    #[case(
        "http://u:secret@h/",
        "invalid broker URL 'http://u:****@h/': the scheme must be amqp:// (found 'http://')"
    )]
    #[case(
        "amqps://u:secret@h/",
        "invalid broker URL 'amqps://u:****@h/': amqps:// (TLS) is not supported by this build of switchboard; use amqp://"
    )]
    #[case(
        "amqp://u:secret@h:99999/",
        "invalid broker URL 'amqp://u:****@h:99999/': invalid port number"
    )]
    #[case(
        "amqp://u:secret@h/a/b",
        "invalid broker URL 'amqp://u:****@h/a/b': the path must be a single virtual host (write '/' as %2f, e.g. amqp://host/%2f)"
    )]
    #[case(
        "amqp://u:secret@h/?frame_max=4096",
        "invalid broker URL 'amqp://u:****@h/?frame_max=4096': unsupported query parameter 'frame_max=4096' (supported: heartbeat=SECONDS, connection_timeout=MILLISECONDS)"
    )]
    #[case(
        "amqp://u:secret@h/%ff",
        "invalid broker URL 'amqp://u:****@h/%ff': the virtual host is not valid UTF-8 once percent-decoded"
    )]
    fn rejects_bad_urls_without_showing_the_password(#[case] raw: &str, #[case] expected: &str) {
        let error = raw.parse::<AmqpUrl>().unwrap_err();
        assert_eq!(error.to_string(), expected);
        assert!(!error.to_string().contains("secret"));
    }

    #[rstest]
    #[case("amqp://guest:guest@127.0.0.1:5672/%2f", "amqp://127.0.0.1:5672/")]
    #[case("amqp://u:secret@h:1/wazo", "amqp://h:1/wazo")]
    #[case("amqp://[::1]", "amqp://[::1]:5672/")]
    fn display_leaves_the_credentials_out(#[case] raw: &str, #[case] shown: &str) {
        let url: AmqpUrl = raw.parse().unwrap();
        assert_eq!(url.to_string(), shown);
        assert!(!format!("{url:?}").contains("secret"));
    }

    #[test]
    fn the_url_with_credentials_round_trips() {
        let url: AmqpUrl = "amqp://u%40x:p%3Aw@h:1234/%2f".parse().unwrap();
        let again: AmqpUrl = url.to_url_with_credentials().parse().unwrap();
        assert_eq!(again, url);
    }

    #[rstest]
    #[case("amqp://u:p@h/", "amqp://u:****@h/")]
    #[case("amqp://u@h/", "amqp://u@h/")]
    #[case("amqp://h/x@y", "amqp://h/x@y")]
    #[case("not a url", "not a url")]
    fn masks_passwords_in_unparsed_text(#[case] raw: &str, #[case] masked: &str) {
        assert_eq!(mask_password(raw), masked);
    }
}
