//! The topic exchange: a trie of binding-key words, as RabbitMQ keeps it.
//!
//! A key is split on `.` into words (the empty key has no words; `a..b` has an
//! empty middle word). In a binding key `*` matches exactly one word and `#`
//! zero or more. Routing walks the trie once per routing key, so its cost
//! depends on the key and on the patterns that match it, not on how many
//! bindings exist: 100 000 bindings route as fast as 10.

use std::collections::{HashMap, HashSet};

use super::{Destination, remove_one};

#[derive(Debug, Default)]
pub(crate) struct TopicRouter {
    root: Node,
}

#[derive(Debug, Default)]
struct Node {
    children: HashMap<Box<str>, Node>,
    destinations: Vec<Destination>,
}

/// The words of a routing or binding key, as RabbitMQ splits them.
fn words(key: &str) -> Vec<&str> {
    if key.is_empty() {
        Vec::new()
    } else {
        key.split('.').collect()
    }
}

impl TopicRouter {
    pub(crate) fn bind(&mut self, key: &str, destination: Destination) {
        let mut node = &mut self.root;
        for word in words(key) {
            node = node.children.entry(word.into()).or_default();
        }
        node.destinations.push(destination);
    }

    pub(crate) fn unbind(&mut self, key: &str, destination: &Destination) {
        self.root.remove(&words(key), destination);
    }

    pub(crate) fn route(&self, key: &str, out: &mut Vec<Destination>) {
        let words = words(key);
        let mut visited = HashSet::new();
        self.root.collect(&words, 0, &mut visited, out);
    }
}

impl Node {
    /// Removes a destination under the path; returns whether this node is now
    /// empty, so that the parent prunes it and unbinding leaves no dead branches.
    fn remove(&mut self, path: &[&str], destination: &Destination) -> bool {
        match path.split_first() {
            None => remove_one(&mut self.destinations, destination),
            Some((word, rest)) => {
                if let Some(child) = self.children.get_mut(*word)
                    && child.remove(rest, destination)
                {
                    self.children.remove(*word);
                }
            }
        }
        self.destinations.is_empty() && self.children.is_empty()
    }

    /// Collects destinations matching `words[at..]`. `visited` remembers the
    /// (`#` node, position) pairs already explored, so that patterns such as
    /// `#.#.#` cannot make a long key cost more than nodes × words.
    fn collect(
        &self,
        words: &[&str],
        at: usize,
        visited: &mut HashSet<(usize, usize)>,
        out: &mut Vec<Destination>,
    ) {
        let hash = self.children.get("#");
        if at == words.len() {
            out.extend(self.destinations.iter().cloned());
            if let Some(hash) = hash {
                hash.collect_after_hash(words, at, visited, out);
            }
            return;
        }
        let word = words[at];
        if word != "*"
            && word != "#"
            && let Some(child) = self.children.get(word)
        {
            child.collect(words, at + 1, visited, out);
        }
        if let Some(star) = self.children.get("*") {
            star.collect(words, at + 1, visited, out);
        }
        if let Some(hash) = hash {
            hash.collect_after_hash(words, at, visited, out);
        }
    }

    /// `self` is a `#` node reached at `words[at..]`: it may swallow any number of words.
    fn collect_after_hash(
        &self,
        words: &[&str],
        at: usize,
        visited: &mut HashSet<(usize, usize)>,
        out: &mut Vec<Destination>,
    ) {
        let identity = std::ptr::from_ref(self) as usize;
        for start in at..=words.len() {
            if visited.insert((identity, start)) {
                self.collect(words, start, visited, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn matches(pattern: &str, key: &str) -> bool {
        let mut router = TopicRouter::default();
        router.bind(pattern, Destination::Queue("q".into()));
        let mut out = Vec::new();
        router.route(key, &mut out);
        !out.is_empty()
    }

    /// RabbitMQ's rules, including its corner cases (empty words, a lone `#`,
    /// `#` matching zero words on either side of a dot).
    #[rstest]
    #[case("a.b.c", "a.b.c", true)]
    #[case("a.b.c", "a.b", false)]
    #[case("a.*.c", "a.b.c", true)]
    #[case("a.*.c", "a.c", false)]
    #[case("a.*.c", "a.b.b.c", false)]
    #[case("*", "a", true)]
    #[case("*", "", false)]
    #[case("*", "a.b", false)]
    #[case("*.*", "a.b", true)]
    #[case("#", "", true)]
    #[case("#", "a", true)]
    #[case("#", "a.b.c.d.e.f", true)]
    #[case("#", ".", true)]
    #[case("a.#", "a", true)]
    #[case("a.#", "a.b.c", true)]
    #[case("a.#", "b.a", false)]
    #[case("#.a", "a", true)]
    #[case("#.a", "x.y.a", true)]
    #[case("#.a", "a.x", false)]
    #[case("a.#.b", "a.b", true)]
    #[case("a.#.b", "a.x.y.b", true)]
    #[case("a.#.b", "a.x.y.c", false)]
    #[case("#.#", "", true)]
    #[case("#.#", "a.b", true)]
    #[case("*.#", "", false)]
    #[case("*.#", "a", true)]
    #[case("#.*", "a.b.c", true)]
    #[case("", "", true)]
    #[case("", "a", false)]
    #[case("a..b", "a..b", true)]
    #[case("a.*.b", "a..b", true)]
    #[case("a.b", "a..b", false)]
    #[case("*", ".", false)]
    #[case("*.*", ".", true)]
    #[case("a.", "a.", true)]
    #[case("a.", "a", false)]
    #[case("a.#", "a.", true)]
    #[case("calls.*", "calls.call_created", true)]
    #[case("calls.*", "calls", false)]
    #[case("calls.*", "calls.call.created", false)]
    #[case("A.b", "a.b", false)]
    fn topic_matching_follows_rabbitmq(
        #[case] pattern: &str,
        #[case] key: &str,
        #[case] expected: bool,
    ) {
        assert_eq!(matches(pattern, key), expected, "{pattern:?} vs {key:?}");
    }

    #[test]
    fn many_dots_and_many_hashes_stay_cheap() {
        let key = vec!["w"; 250].join(".");
        assert!(matches("#.#.#.#.#.#.#.#.w", &key));
        assert!(!matches("#.#.#.#.#.#.#.#.x", &key));
    }

    #[test]
    fn unbind_prunes_and_keeps_other_destinations() {
        let mut router = TopicRouter::default();
        let q1 = Destination::Queue("q1".into());
        let q2 = Destination::Queue("q2".into());
        router.bind("a.*", q1.clone());
        router.bind("a.*", q2.clone());
        router.unbind("a.*", &q1);
        let mut out = Vec::new();
        router.route("a.b", &mut out);
        assert_eq!(out, vec![q2.clone()]);
        router.unbind("a.*", &q2);
        assert!(router.root.children.is_empty(), "empty branches are pruned");
    }

    #[test]
    fn many_bindings_route_only_to_matches() {
        let mut router = TopicRouter::default();
        for i in 0..10_000 {
            router.bind(
                &format!("calls.{i}.*"),
                Destination::Queue(format!("q{i}").into()),
            );
        }
        let mut out = Vec::new();
        router.route("calls.42.created", &mut out);
        assert_eq!(out, vec![Destination::Queue("q42".into())]);
    }
}
