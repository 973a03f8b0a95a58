//! Identifiers: seeded generation through a CSPRNG, and the ids machines hand out.

use alloc::string::String;
use core::fmt;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

/// The source of every identifier a machine invents, seeded from outside.
///
/// A test with a fixed seed is byte-for-byte repeatable; a runtime seeds from the operating
/// system. ChaCha20 makes the ids unpredictable to anyone who does not know the seed, which
/// matters for InterPay's callback tokens.
#[derive(Clone)]
pub struct IdGen {
    rng: ChaCha20Rng,
}

impl IdGen {
    /// Builds a generator from a 64-bit seed.
    #[must_use]
    pub fn from_seed(seed: u64) -> Self {
        Self {
            rng: ChaCha20Rng::seed_from_u64(seed),
        }
    }

    /// Builds a generator from 32 bytes of seed, e.g. from the operating system.
    #[must_use]
    pub fn from_seed_bytes(seed: [u8; 32]) -> Self {
        Self {
            rng: ChaCha20Rng::from_seed(seed),
        }
    }

    /// Returns the next random 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Returns a value uniformly distributed in `0..bound`; `bound` 0 gives 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Rejection sampling keeps the distribution uniform.
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % bound;
            }
        }
    }

    /// Fills `dest` with random bytes.
    pub fn fill(&mut self, dest: &mut [u8]) {
        self.rng.fill_bytes(dest);
    }

    /// Returns `len` lowercase hex characters.
    pub fn hex(&mut self, len: usize) -> String {
        self.from_alphabet(len, b"0123456789abcdef")
    }

    /// Returns `len` characters from `[0-9A-Z]`.
    pub fn upper_alnum(&mut self, len: usize) -> String {
        self.from_alphabet(len, b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    }

    /// Returns `len` decimal digits.
    pub fn digits(&mut self, len: usize) -> String {
        self.from_alphabet(len, b"0123456789")
    }

    /// Returns `len` characters drawn uniformly from `alphabet` (ASCII, at most 256 symbols).
    pub fn from_alphabet(&mut self, len: usize, alphabet: &[u8]) -> String {
        let n = alphabet.len() as u64;
        (0..len)
            .map(|_| {
                let i = usize::try_from(self.below(n)).unwrap_or(0);
                alphabet.get(i).copied().map_or('0', char::from)
            })
            .collect()
    }

    /// Returns a random UUID version 4 in its lowercase hyphenated form.
    pub fn uuid_v4(&mut self) -> String {
        let mut b = [0u8; 16];
        self.fill(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| alloc::format!("{x:02x}")).collect();
        alloc::format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// Returns a fresh transaction id.
    pub fn txn_id(&mut self) -> TxnId {
        TxnId(self.next_u64())
    }

    /// Returns a fresh HTTP request id.
    pub fn request_id(&mut self) -> RequestId {
        RequestId(self.next_u64())
    }
}

impl fmt::Debug for IdGen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdGen([redacted])")
    }
}

/// Identifies one transaction the POS started, across crashes and resumes.
///
/// Drawn from the machine's seed, so ids from different runs do not collide in practice and a
/// journal can key records by it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TxnId(pub u64);

impl fmt::Debug for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "txn-{:016x}", self.0)
    }
}

impl fmt::Display for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Identifies an outgoing HTTP request, so the runtime can hand back its response.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub u64);

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "req-{:016x}", self.0)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Identifies an inbound callback request, so the machine's reply reaches the right caller.
///
/// The runtime (or the harness) assigns these; machines only echo them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallbackId(pub u64);

impl fmt::Debug for CallbackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cb-{}", self.0)
    }
}

impl fmt::Display for CallbackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids() {
        let mut a = IdGen::from_seed(7);
        let mut b = IdGen::from_seed(7);
        assert_eq!(a.hex(32), b.hex(32));
        assert_eq!(a.uuid_v4(), b.uuid_v4());
        assert_ne!(IdGen::from_seed(7).hex(32), IdGen::from_seed(8).hex(32));
    }

    #[test]
    fn formats_follow_their_alphabets() {
        let mut ids = IdGen::from_seed(1);
        let hex = ids.hex(32);
        assert_eq!(hex.len(), 32);
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert!(
            ids.upper_alnum(6)
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        );
        assert!(ids.digits(12).bytes().all(|b| b.is_ascii_digit()));
        let uuid = ids.uuid_v4();
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'4');
        assert!(matches!(uuid.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        for _ in 0..1000 {
            assert!(ids.below(7) < 7);
        }
        assert_eq!(ids.below(0), 0);
    }
}
