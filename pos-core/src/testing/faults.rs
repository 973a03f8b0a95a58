//! Fault rules: what the link does to a message instead of delivering it in time.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::ids::IdGen;

/// The direction a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// From the POS machine to the simulator (frames, HTTP requests, callback replies).
    ToSim,
    /// From the simulator to the POS machine (frames, HTTP responses, callbacks).
    ToPos,
}

/// What happens to a matched message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Lost. A lost HTTP request or response ends in `TransportError::Timeout` at the
    /// request's timeout; a lost callback in a failed delivery for the simulator.
    Drop,
    /// Delivered this much later than usual. On a WebSocket the frames behind it wait too,
    /// as TCP keeps a stream in order.
    Delay(Duration),
    /// Delivered twice.
    Duplicate,
    /// Held back until the next message in the same direction has overtaken it (HTTP
    /// exchanges, callbacks). On a WebSocket, where frames cannot overtake each other, the
    /// stream is held back for a second instead.
    Reorder,
    /// The connection breaks: a WebSocket message is lost and both sides see the link close;
    /// an HTTP request reaches the simulator but its response becomes `TransportError::Io`;
    /// an HTTP response becomes `TransportError::Io`.
    Disconnect,
    /// The POS machine crashes as the message would be delivered (the message is lost) and a
    /// fresh machine resumes from the journal. Only for [`Dir::ToPos`].
    CrashPos,
    /// The message is delivered, then the POS machine crashes and a fresh one resumes.
    /// Only for [`Dir::ToSim`].
    CrashPosAfterSend,
}

/// Chooses messages by their transcript text (e.g. `text {"topic":"ecrhub.pay.order"…}`,
/// `POST https://host/transaction …`, `http 200 {…}`).
pub struct Matcher(Box<dyn Fn(&str) -> bool>);

impl Matcher {
    /// Matches every message.
    #[must_use]
    pub fn any() -> Self {
        Self(Box::new(|_| true))
    }

    /// Matches messages whose text contains `needle`.
    #[must_use]
    pub fn contains(needle: &str) -> Self {
        let needle = String::from(needle);
        Self(Box::new(move |text| text.contains(needle.as_str())))
    }

    /// Matches messages whose text contains every one of `needles`.
    #[must_use]
    pub fn contains_all(needles: &[&str]) -> Self {
        let needles: Vec<String> = needles.iter().map(|n| String::from(*n)).collect();
        Self(Box::new(move |text| {
            needles.iter().all(|n| text.contains(n.as_str()))
        }))
    }

    /// Matches with an arbitrary predicate over the transcript text.
    #[must_use]
    pub fn predicate(f: impl Fn(&str) -> bool + 'static) -> Self {
        Self(Box::new(f))
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        (self.0)(text)
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Matcher(..)")
    }
}

/// A scripted fault: the first `times` messages in `dir` that the matcher accepts suffer
/// `fault`.
#[derive(Debug)]
pub struct FaultRule {
    pub(crate) dir: Dir,
    pub(crate) matcher: Matcher,
    pub(crate) fault: Fault,
    pub(crate) remaining: u32,
}

impl FaultRule {
    /// Builds a rule that fires once.
    #[must_use]
    pub fn new(dir: Dir, matcher: Matcher, fault: Fault) -> Self {
        Self {
            dir,
            matcher,
            fault,
            remaining: 1,
        }
    }

    /// Sets how many matching messages the rule affects.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = n;
        self
    }

    /// Makes the rule fire for every matching message.
    #[must_use]
    pub fn always(mut self) -> Self {
        self.remaining = u32::MAX;
        self
    }
}

/// Random faults on every message, in parts per thousand, from their own seed.
///
/// Crashes are never random; script them with [`Fault::CrashPos`] or call
/// [`crate::testing::Pair::crash_and_resume`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RandomFaults {
    /// The fault injector's seed.
    pub seed: u64,
    /// Chance of [`Fault::Drop`], per mille.
    pub drop: u16,
    /// Chance of [`Fault::Duplicate`], per mille.
    pub duplicate: u16,
    /// Chance of a [`Fault::Delay`] up to `max_delay`, per mille.
    pub delay: u16,
    /// Chance of [`Fault::Reorder`], per mille.
    pub reorder: u16,
    /// Chance of [`Fault::Disconnect`], per mille.
    pub disconnect: u16,
    /// The longest random delay.
    pub max_delay: Duration,
}

/// Draws random faults.
pub(crate) struct FaultDice {
    rates: RandomFaults,
    ids: IdGen,
}

impl FaultDice {
    pub(crate) fn new(rates: RandomFaults) -> Self {
        Self {
            rates,
            ids: IdGen::from_seed(rates.seed),
        }
    }

    pub(crate) fn roll(&mut self) -> Option<Fault> {
        let r = self.rates;
        let mut x = self.ids.below(1000);
        for (rate, fault) in [
            (r.drop, Fault::Drop),
            (r.duplicate, Fault::Duplicate),
            (r.reorder, Fault::Reorder),
            (r.disconnect, Fault::Disconnect),
        ] {
            let rate = u64::from(rate);
            if x < rate {
                return Some(fault);
            }
            x -= rate;
        }
        if x < u64::from(r.delay) {
            let max = u64::try_from(r.max_delay.as_millis())
                .unwrap_or(u64::MAX)
                .max(1);
            return Some(Fault::Delay(Duration::from_millis(1 + self.ids.below(max))));
        }
        None
    }
}
