//! Notifications: the count high-water diff of spec §7 and what each value means (§6).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use pos_core::Stage;

/// Remembers which notifications of one operation were already emitted (§7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationDiff {
    seen: BTreeMap<String, u32>,
}

/// One notification that is new on this poll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    /// The canonical (trimmed, upper-cased) value.
    pub value: String,
    /// True when it is `L[0]`, the PDQ's current state.
    pub newest: bool,
}

impl NotificationDiff {
    /// Starts with nothing seen.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Walks a list (newest first) oldest to newest and returns the entries not seen before,
    /// oldest first. A repeated value counts as new; a shrunk or reordered list re-emits
    /// nothing.
    pub fn update(&mut self, list: &[String]) -> Vec<NewNotification> {
        let mut running: BTreeMap<String, u32> = BTreeMap::new();
        let mut out = Vec::new();
        for (i, raw) in list.iter().enumerate().rev() {
            let v = canonical(raw);
            if v.is_empty() {
                continue;
            }
            let count = running.entry(v.clone()).or_insert(0);
            *count += 1;
            let seen = self.seen.entry(v.clone()).or_insert(0);
            if *count > *seen {
                *seen = *count;
                out.push(NewNotification {
                    value: v,
                    newest: i == 0,
                });
            }
        }
        out
    }

    /// Returns the counts seen so far, for persisting.
    #[must_use]
    pub const fn seen(&self) -> &BTreeMap<String, u32> {
        &self.seen
    }
}

/// Returns the canonical form of a notification: trimmed and upper-cased.
#[must_use]
pub fn canonical(raw: &str) -> String {
    raw.trim().to_ascii_uppercase()
}

/// What the machine does with a notification (§6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Meaning {
    /// Show it.
    Progress(Stage),
    /// Open the signature prompt.
    SignaturePrompt,
    /// Close the signature prompt, then show it.
    SignatureClosed,
    /// Cancel progress.
    Cancelling,
    /// The cancel was refused.
    CancelRefused,
    /// The task is over.
    Finished,
}

/// Classifies a canonical notification value.
#[must_use]
pub fn meaning(value: &str) -> Meaning {
    match value {
        "TRANSACTION_STARTED" | "REPORT_STARTED" => Meaning::Progress(Stage::Accepted),
        "PRESENT_CARD"
        | "INSERT_CARD"
        | "RE_PRESENT_CARD"
        | "PRESENT_ONLY_ONE_CARD"
        | "BAD_SWIPE"
        | "CARD_ERROR"
        | "CARD_EXPIRED"
        | "CARD_NOT_SUPPORTED" => Meaning::Progress(Stage::PresentCard),
        "PIN_ENTRY" => Meaning::Progress(Stage::PinEntry),
        "CONNECTING" | "CONNECTION_MADE" | "REQUEST_SENT" | "RETRYING" | "PLEASE_WAIT" => {
            Meaning::Progress(Stage::Authorising)
        }
        "REMOVE_CARD" => Meaning::Progress(Stage::RemoveCard),
        "REPLACE_PAPER" => Meaning::Progress(Stage::Receipt),
        "SIGNATURE_VERIFICATION" => Meaning::SignaturePrompt,
        "SIGNATURE_VERIFICATION_IN_PROGRESS"
        | "SIGNATURE_VERIFICATION_PROCESS_COMPLETED"
        | "SIGNATURE_VERIFICATION_PROCESS_COULD_NOT_BE_COMPLETED"
        | "SIGNATURE_VERIFICATION_TIMEOUT" => Meaning::SignatureClosed,
        "ATTEMPTING_CANCEL" | "CANCELLING" | "CANCELLED_TRANSACTION" => Meaning::Cancelling,
        "UNABLE_TO_CANCEL" | "UNABLE_TO_CANCEL_TRANSACTION" => Meaning::CancelRefused,
        "TRANSACTION_FINISHED" | "REPORT_FINISHED" => Meaning::Finished,
        _ => Meaning::Progress(Stage::Other),
    }
}

/// Returns a short English text for the operator, or `None` for unknown values.
#[must_use]
pub fn operator_text(value: &str) -> Option<&'static str> {
    Some(match value {
        "TRANSACTION_STARTED" => "Transaction started",
        "REPORT_STARTED" => "Report started",
        "PRESENT_CARD" => "Present card",
        "INSERT_CARD" => "Insert card",
        "RE_PRESENT_CARD" => "Present card again",
        "PRESENT_ONLY_ONE_CARD" => "Present only one card",
        "REMOVE_CARD" => "Remove card",
        "PIN_ENTRY" => "Enter PIN",
        "ENTER_CASHBACK" => "Enter cashback",
        "PLEASE_WAIT" => "Please wait",
        "CONNECTING" => "Connecting",
        "CONNECTION_MADE" => "Connected",
        "REQUEST_SENT" => "Request sent",
        "RETRYING" => "Retrying",
        "BAD_SWIPE" => "Bad swipe",
        "CARD_ERROR" => "Card error",
        "CARD_EXPIRED" => "Card expired",
        "CARD_NOT_SUPPORTED" => "Card not supported",
        "DECLINED_BY_CARD" => "Declined by card",
        "PROCESSING_ERROR" => "Processing error",
        "REPLACE_PAPER" => "Replace paper",
        "APPROVED" => "Approved",
        "DECLINED" => "Declined",
        "SIGNATURE_VERIFICATION" => "Check the signature",
        "SIGNATURE_VERIFICATION_IN_PROGRESS" => "Signature check in progress",
        "SIGNATURE_VERIFICATION_PROCESS_COMPLETED" => "Signature check completed",
        "SIGNATURE_VERIFICATION_PROCESS_COULD_NOT_BE_COMPLETED" => {
            "Signature check could not be completed"
        }
        "SIGNATURE_VERIFICATION_TIMEOUT" => "Signature check timed out",
        "ATTEMPTING_CANCEL" => "Attempting to cancel",
        "CANCELLING" | "CANCELLED_TRANSACTION" => "Cancelling",
        "UNABLE_TO_CANCEL" | "UNABLE_TO_CANCEL_TRANSACTION" => "Unable to cancel",
        "TRANSACTION_FINISHED" => "Transaction finished",
        "REPORT_FINISHED" => "Report finished",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| String::from(*s)).collect()
    }

    fn values(v: &[NewNotification]) -> Vec<&str> {
        v.iter().map(|n| n.value.as_str()).collect()
    }

    #[test]
    fn entries_added_at_the_front_are_emitted_once_oldest_first() {
        let mut d = NotificationDiff::new();
        let a = d.update(&l(&["PRESENT_CARD", "TRANSACTION_STARTED"]));
        assert_eq!(values(&a), ["TRANSACTION_STARTED", "PRESENT_CARD"]);
        assert!(a[1].newest && !a[0].newest);
        let b = d.update(&l(&["PIN_ENTRY", "PRESENT_CARD", "TRANSACTION_STARTED"]));
        assert_eq!(values(&b), ["PIN_ENTRY"]);
        assert!(
            d.update(&l(&["PIN_ENTRY", "PRESENT_CARD", "TRANSACTION_STARTED"]))
                .is_empty()
        );
    }

    #[test]
    fn shrunk_reordered_and_oldest_end_lists() {
        let mut d = NotificationDiff::new();
        d.update(&l(&["B", "A"]));
        assert!(d.update(&l(&["A"])).is_empty(), "shrunk");
        assert!(d.update(&l(&["A", "B"])).is_empty(), "reordered");
        assert_eq!(values(&d.update(&l(&["B", "A", "PAPER"]))), ["PAPER"]);
        assert_eq!(values(&d.update(&l(&["b ", "B", "A", "PAPER"]))), ["B"]);
        assert_eq!(d.seen().get("B"), Some(&2));
        assert!(d.update(&[String::new()]).is_empty());
    }
}
