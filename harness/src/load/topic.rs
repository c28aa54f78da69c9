//! Topic-exchange matching, to know which bindings should receive a message.
//!
//! The ledger counts, per consumer binding, how many messages the broker
//! ought to have routed to it; that needs the same rule RabbitMQ applies:
//! words separated by `.`, `*` matches exactly one word, `#` zero or more.

/// Whether `routing_key` matches the binding key `pattern`.
pub fn matches(pattern: &str, routing_key: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let words: Vec<&str> = routing_key.split('.').collect();
    match_words(&pattern, &words)
}

fn match_words(pattern: &[&str], words: &[&str]) -> bool {
    match pattern.split_first() {
        None => words.is_empty(),
        Some((&"#", rest)) => (0..=words.len()).any(|skip| match_words(rest, &words[skip..])),
        Some((first, rest)) => match words.split_first() {
            Some((word, remaining)) => {
                (*first == "*" || first == word) && match_words(rest, remaining)
            }
            None => false,
        },
    }
}

/// The bindings (by index, at most 16) a routing key reaches, as a bit mask.
pub fn mask(bindings: &[String], routing_key: &str) -> u16 {
    bindings
        .iter()
        .take(16)
        .enumerate()
        .filter(|(_, pattern)| matches(pattern, routing_key))
        .fold(0, |mask, (index, _)| mask | (1 << index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("#", "calls.call.created", true)]
    #[case("calls.#", "calls.call.created", true)]
    #[case("calls.*.created", "calls.call.created", true)]
    #[case("calls.*", "calls.call.created", false)]
    #[case("*.call.*", "calls.call.ended", true)]
    #[case("#.created", "calls.call.created", true)]
    #[case("calls.#.created", "calls.created", true)]
    #[case("conferences.#", "calls.call.created", false)]
    #[case("calls.call.created", "calls.call.created", true)]
    #[case("calls.call", "calls.call.created", false)]
    fn follows_rabbitmq_topic_rules(
        #[case] pattern: &str,
        #[case] key: &str,
        #[case] expected: bool,
    ) {
        assert_eq!(matches(pattern, key), expected);
    }

    #[test]
    fn masks_name_every_matching_binding() {
        let bindings = vec!["calls.#".to_owned(), "#".to_owned(), "faxes.#".to_owned()];
        assert_eq!(mask(&bindings, "calls.call.created"), 0b011);
        assert_eq!(mask(&bindings, "faxes.outbound.created"), 0b110);
    }
}
