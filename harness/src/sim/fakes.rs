//! Deterministic fake data: names, numbers, extensions, uuids.
//!
//! Each generated thing draws from its own ChaCha stream keyed by the seed
//! and a label (`"user/alice"`), so adding a party to a scenario does not
//! change the data generated for the others.

use fake::Fake;
use fake::faker::name::en::{FirstName, LastName};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// A generator of fake data for one labelled thing.
#[derive(Debug, Clone)]
pub struct Fakes {
    rng: ChaCha8Rng,
}

impl Fakes {
    /// The generator for `label` under `seed`.
    pub fn new(seed: u64, label: &str) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(fnv1a(label.as_bytes()));
        Self { rng }
    }

    /// A random (version 4) uuid.
    pub fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid()
    }

    /// A person's full name, e.g. `Ada Lovelace`.
    pub fn person_name(&mut self) -> String {
        let first: String = FirstName().fake_with_rng(&mut self.rng);
        let last: String = LastName().fake_with_rng(&mut self.rng);
        format!("{first} {last}")
    }

    /// A North-American E.164 number in the 555-01XX range reserved for fiction.
    pub fn e164_number(&mut self) -> String {
        let area: u32 = self.rng.random_range(201..=989);
        let line: u32 = self.rng.random_range(100..=199);
        format!("+1{area}5550{line}")
    }

    /// A number in `range`.
    pub fn number(&mut self, range: std::ops::RangeInclusive<u32>) -> u32 {
        self.rng.random_range(range)
    }

    /// A SIP endpoint name like the ones Wazo generates (`m3ylhs`).
    pub fn sip_username(&mut self) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..8)
            .map(|_| char::from(ALPHABET[self.rng.random_range(0..ALPHABET.len())]))
            .collect()
    }

    /// Shuffles `items` in place (Fisher–Yates), the same way for the same seed and label.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for last in (1..items.len()).rev() {
            let other = self.rng.random_range(0..=last);
            items.swap(last, other);
        }
    }

    /// A private IPv4 address.
    pub fn private_address(&mut self) -> String {
        let [b, c, d]: [u8; 3] = self.rng.random();
        format!("10.{b}.{c}.{}", d.max(1))
    }
}

/// FNV-1a: a tiny stable hash (std's hasher may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_label_give_the_same_data() {
        let mut first = Fakes::new(7, "user/alice");
        let mut second = Fakes::new(7, "user/alice");
        assert_eq!(first.person_name(), second.person_name());
        assert_eq!(first.uuid(), second.uuid());
    }

    #[test]
    fn labels_and_seeds_give_different_streams() {
        let alice = Fakes::new(7, "user/alice").uuid();
        assert_ne!(alice, Fakes::new(7, "user/bob").uuid());
        assert_ne!(alice, Fakes::new(8, "user/alice").uuid());
        assert_eq!(alice.get_version_num(), 4);
    }

    #[test]
    fn shuffles_are_permutations_fixed_by_the_seed() {
        let shuffled = |seed| {
            let mut items: Vec<u32> = (0..20).collect();
            Fakes::new(seed, "s").shuffle(&mut items);
            items
        };
        let mut sorted = shuffled(1);
        assert_eq!(shuffled(1), sorted);
        assert_ne!(shuffled(2), sorted);
        sorted.sort_unstable();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn numbers_look_like_e164() {
        let number = Fakes::new(1, "n").e164_number();
        assert!(number.starts_with("+1") && number.len() == 12, "{number}");
    }
}
