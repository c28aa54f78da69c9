//! Which RabbitMQ image a container broker runs, and why that one.
//!
//! A user who names an image gets that image (pulled if it is missing). A
//! user who does not gets the official `rabbitmq` image when it is on this
//! machine or can be pulled, and otherwise the offline image that `cargo
//! xtask rabbitmq image` builds from Debian's packages, for machines that
//! reach no registry. [`ChosenImage`] says which one was taken and why, so
//! that the user is never left guessing.

use std::fmt;

/// A Docker image reference: name (with registry, if any) and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerImage {
    /// `rabbitmq`, `registry.example.com:5000/team/rabbitmq`, …
    pub name: String,
    /// `3.13-management`, `latest`, …
    pub tag: String,
}

impl ContainerImage {
    /// An image from its parts.
    pub fn new(name: impl Into<String>, tag: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            tag: tag.into(),
        }
    }

    /// `rabbitmq:3.13-management`: the official image, on the RabbitMQ
    /// release line Wazo runs on.
    pub fn official() -> Self {
        Self::new("rabbitmq", "3.13-management")
    }

    /// `switchboard/rabbitmq:offline`: the image `cargo xtask rabbitmq image`
    /// builds from the machine's Debian (or Ubuntu) packages.
    pub fn offline() -> Self {
        Self::new("switchboard/rabbitmq", "offline")
    }

    /// Parses `NAME[:TAG]`; a colon inside a registry address
    /// (`host:5000/name`) is not a tag separator. `None` when empty.
    pub fn parse(reference: &str) -> Option<Self> {
        let reference = reference.trim();
        let last_slash = reference.rfind('/').map_or(0, |index| index + 1);
        let (name, tag) = match reference[last_slash..].rfind(':') {
            Some(colon) => {
                let split = last_slash + colon;
                (&reference[..split], &reference[split + 1..])
            }
            None => (reference, "latest"),
        };
        (!name.is_empty() && !tag.is_empty()).then(|| Self::new(name, tag))
    }
}

impl fmt::Display for ContainerImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)
    }
}

/// The image a container broker runs, and how it came to be on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenImage {
    /// The image.
    pub image: ContainerImage,
    /// Why this one.
    pub provenance: Provenance,
}

/// How a [`ChosenImage`] was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provenance {
    /// It was already on this machine.
    Present,
    /// It was pulled from its registry just now.
    Pulled,
    /// No image was named and the official one cannot be had: the offline
    /// image was taken instead.
    OfflineFallback {
        /// The official image that was tried first.
        official: ContainerImage,
        /// Why pulling it failed.
        cause: String,
    },
}

impl fmt::Display for ChosenImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.provenance {
            Provenance::Present => write!(f, "{} (present on this machine)", self.image),
            Provenance::Pulled => write!(f, "{} (pulled)", self.image),
            Provenance::OfflineFallback { official, cause } => write!(
                f,
                "{} (the offline image: the official {official} is not here and cannot be pulled: {cause})",
                self.image
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("rabbitmq:3.13-management", "rabbitmq", "3.13-management")]
    #[case("rabbitmq", "rabbitmq", "latest")]
    #[case(
        "registry.local:5000/ops/rabbitmq",
        "registry.local:5000/ops/rabbitmq",
        "latest"
    )]
    #[case(
        "registry.local:5000/ops/rabbitmq:4.0",
        "registry.local:5000/ops/rabbitmq",
        "4.0"
    )]
    #[case("switchboard/rabbitmq:offline", "switchboard/rabbitmq", "offline")]
    fn parses_image_references(#[case] reference: &str, #[case] name: &str, #[case] tag: &str) {
        assert_eq!(
            ContainerImage::parse(reference),
            Some(ContainerImage::new(name, tag))
        );
    }

    #[rstest]
    #[case("")]
    #[case("rabbitmq:")]
    #[case(":3.13")]
    fn rejects_empty_parts(#[case] reference: &str) {
        assert_eq!(ContainerImage::parse(reference), None);
    }

    #[test]
    fn a_fallback_says_what_was_tried_and_why_it_failed() {
        let chosen = ChosenImage {
            image: ContainerImage::offline(),
            provenance: Provenance::OfflineFallback {
                official: ContainerImage::official(),
                cause: "no such host".into(),
            },
        };
        assert_eq!(
            chosen.to_string(),
            "switchboard/rabbitmq:offline (the offline image: the official rabbitmq:3.13-management is not here and cannot be pulled: no such host)"
        );
    }
}
