//! The simulator side: the shared scenario table and the contract every simulator implements.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use serde::{Deserialize, Serialize};

use crate::http::{HttpRequest, HttpResponse};
use crate::ids::{CallbackId, RequestId};
use crate::io::TransportError;
use crate::money::{Currency, Money, MoneyError};
use crate::outcome::{OutcomeClass, References};
use crate::time::Timestamp;

/// A scripted behaviour, chosen by the amount's minor units modulo 100.
///
/// Every simulator follows this table, and so do tests and `pos demo`:
///
/// | minor units mod 100 | scenario | the POS must end with |
/// |---|---|---|
/// | 51 | [`Scenario::Decline`] | `Declined` |
/// | 52 | [`Scenario::CancelledOnTerminal`] | `Cancelled` |
/// | 53 | [`Scenario::SlowCustomer`] (card after 60 s) | `Approved`, no early timeout |
/// | 54 | [`Scenario::LostAfterApproval`] | recovery finds it: `Approved` |
/// | 55 | [`Scenario::LostAfterDecline`] | recovery finds it: `Declined` |
/// | 56 | [`Scenario::SignatureCheck`] | `Approved` (after the POS answers, where asked) |
/// | 57 | [`Scenario::Busy`] | `Rejected` / `CommandError::Busy`, nothing charged |
/// | 60–69 | [`Scenario::Vendor`] | as the vendor's spec says |
/// | anything else | [`Scenario::Approve`] | `Approved` |
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Approve after the usual card flow.
    Approve,
    /// Decline.
    Decline,
    /// The cardholder cancels on the terminal.
    CancelledOnTerminal,
    /// The card is presented only after [`SLOW_CUSTOMER_DELAY`].
    SlowCustomer,
    /// Approve, but lose the result on its way to the POS.
    LostAfterApproval,
    /// Decline, but lose the result on its way to the POS.
    LostAfterDecline,
    /// Approve after a signature check.
    SignatureCheck,
    /// The terminal is busy with another transaction.
    Busy,
    /// A vendor-specific scenario: the cents value 60–69.
    Vendor(u8),
}

/// How long the slow customer takes to present a card.
pub const SLOW_CUSTOMER_DELAY: Duration = Duration::from_secs(60);

impl Scenario {
    /// The shared scenarios, in table order (the vendor range excluded).
    pub const SHARED: [Self; 8] = [
        Self::Approve,
        Self::Decline,
        Self::CancelledOnTerminal,
        Self::SlowCustomer,
        Self::LostAfterApproval,
        Self::LostAfterDecline,
        Self::SignatureCheck,
        Self::Busy,
    ];

    /// Chooses the scenario for an amount in minor units.
    #[must_use]
    pub fn from_minor_units(minor_units: i64) -> Self {
        match minor_units.rem_euclid(100) {
            51 => Self::Decline,
            52 => Self::CancelledOnTerminal,
            53 => Self::SlowCustomer,
            54 => Self::LostAfterApproval,
            55 => Self::LostAfterDecline,
            56 => Self::SignatureCheck,
            57 => Self::Busy,
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 60..=69
            c @ 60..=69 => Self::Vendor(c as u8),
            _ => Self::Approve,
        }
    }

    /// Chooses the scenario for an amount.
    #[must_use]
    pub fn from_amount(amount: &Money) -> Self {
        Self::from_minor_units(amount.minor_units())
    }

    /// Returns the cents value that selects this scenario (`00` for approve).
    #[must_use]
    pub const fn cents(&self) -> u8 {
        match self {
            Self::Approve => 0,
            Self::Decline => 51,
            Self::CancelledOnTerminal => 52,
            Self::SlowCustomer => 53,
            Self::LostAfterApproval => 54,
            Self::LostAfterDecline => 55,
            Self::SignatureCheck => 56,
            Self::Busy => 57,
            Self::Vendor(c) => *c,
        }
    }

    /// Builds an amount of `whole` major units (×100 minor units for exponent-0 currencies)
    /// plus this scenario's cents, e.g. `12.51 GBP` for a decline.
    ///
    /// # Errors
    /// `OutOfRange` when `whole` is too large.
    pub fn amount(&self, whole: i64, currency: Currency) -> Result<Money, MoneyError> {
        let unit = 10i64.pow(u32::from(currency.exponent().max(2)));
        let minor = whole
            .saturating_mul(unit)
            .saturating_add(i64::from(self.cents()));
        Money::from_minor(minor, currency)
    }

    /// Returns what the POS must end with, or `None` for vendor scenarios.
    #[must_use]
    pub const fn expected(&self) -> Option<OutcomeClass> {
        match self {
            Self::Approve | Self::SlowCustomer | Self::LostAfterApproval | Self::SignatureCheck => {
                Some(OutcomeClass::Approved)
            }
            Self::Decline | Self::LostAfterDecline => Some(OutcomeClass::Declined),
            Self::CancelledOnTerminal => Some(OutcomeClass::Cancelled),
            Self::Busy => Some(OutcomeClass::Rejected),
            Self::Vendor(_) => None,
        }
    }

    /// Returns a short name for tables and test names.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Decline => "decline",
            Self::CancelledOnTerminal => "cancelled_on_terminal",
            Self::SlowCustomer => "slow_customer",
            Self::LostAfterApproval => "lost_after_approval",
            Self::LostAfterDecline => "lost_after_decline",
            Self::SignatureCheck => "signature_check",
            Self::Busy => "busy",
            Self::Vendor(_) => "vendor",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Vendor(c) => write!(f, "vendor_{c}"),
            other => f.write_str(other.name()),
        }
    }
}

/// Something that reached the simulator, mirroring [`crate::Input`] from the other side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SimInput {
    /// A POS connected.
    Connected,
    /// The POS's connection closed.
    Disconnected,
    /// A WebSocket text message (or a decoded serial payload).
    Text(String),
    /// A WebSocket binary message.
    Binary(Vec<u8>),
    /// A WebSocket ping; answer with [`SimTransmit::Pong`].
    Ping(Vec<u8>),
    /// An HTTP request to the simulated server; answer with [`SimTransmit::HttpResponse`]
    /// or [`SimTransmit::HttpDrop`] with the same id.
    HttpRequest {
        /// Chosen by the harness or server, echoed in the answer.
        id: RequestId,
        /// The request.
        request: HttpRequest,
    },
    /// The POS answered a callback the simulator sent.
    CallbackResponse {
        /// The id from [`SimTransmit::Callback`].
        id: CallbackId,
        /// The POS's reply.
        response: HttpResponse,
    },
    /// A callback the simulator sent could not be delivered.
    CallbackFailed {
        /// The id from [`SimTransmit::Callback`].
        id: CallbackId,
        /// Why.
        error: TransportError,
    },
}

/// Something the simulator wants done, mirroring [`crate::Transmit`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SimTransmit {
    /// Send a WebSocket text message to the POS.
    Text(String),
    /// Send a WebSocket binary message to the POS.
    Binary(Vec<u8>),
    /// Answer a ping.
    Pong(Vec<u8>),
    /// Close the POS's connection.
    Close,
    /// Answer an HTTP request.
    HttpResponse {
        /// The request's id.
        id: RequestId,
        /// The response.
        response: HttpResponse,
    },
    /// Close the connection of an HTTP request without answering, after processing it.
    HttpDrop {
        /// The request's id.
        id: RequestId,
    },
    /// Send an HTTP request to the POS's callback listener (absolute URL).
    Callback {
        /// Echoed in the [`SimInput`] that reports the reply.
        id: CallbackId,
        /// The request.
        request: HttpRequest,
    },
}

/// What really happened to a transaction, as the simulator's store knows it. The harness
/// checks every outcome the POS reports against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Truth {
    /// Still in the card flow.
    Pending,
    /// Approved: money moved.
    Approved,
    /// Declined.
    Declined,
    /// Cancelled before approval.
    Cancelled,
    /// Received but refused before the card flow, or voided before capture: no money moved.
    NotProcessed,
}

/// A sans-IO simulator of a terminal, gateway or cloud: the other side of a [`crate::Machine`].
pub trait Simulator {
    /// Feeds something the POS sent or did.
    fn handle_input(&mut self, now: Timestamp, input: SimInput);

    /// Lets the simulated terminal progress. Early or repeated calls are harmless.
    fn handle_timeout(&mut self, now: Timestamp);

    /// Returns the next thing to send, or `None`.
    #[must_use]
    fn poll_transmit(&mut self) -> Option<SimTransmit>;

    /// Returns when `handle_timeout` should next be called.
    #[must_use]
    fn poll_timeout(&self) -> Option<Timestamp>;

    /// Returns what really happened to the transaction with these references, or `None`
    /// when the simulator never saw it.
    fn truth(&self, references: &References) -> Option<Truth>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_design() {
        let gbp = Currency::GBP;
        for s in Scenario::SHARED {
            let amount = s.amount(12, gbp).unwrap();
            assert_eq!(Scenario::from_amount(&amount), s, "{s}");
        }
        assert_eq!(Scenario::from_minor_units(1251), Scenario::Decline);
        assert_eq!(Scenario::from_minor_units(1257), Scenario::Busy);
        assert_eq!(Scenario::from_minor_units(1260), Scenario::Vendor(60));
        assert_eq!(Scenario::from_minor_units(1269), Scenario::Vendor(69));
        assert_eq!(Scenario::from_minor_units(1270), Scenario::Approve);
        assert_eq!(Scenario::from_minor_units(1258), Scenario::Approve);
        assert_eq!(Scenario::from_minor_units(1250), Scenario::Approve);
        assert_eq!(
            Scenario::Decline.amount(12, gbp).unwrap().to_major_string(),
            "12.51"
        );
        assert_eq!(
            Scenario::Decline
                .amount(12, Currency::JPY)
                .unwrap()
                .to_major_string(),
            "1251"
        );
        assert_eq!(
            Scenario::LostAfterDecline.expected(),
            Some(OutcomeClass::Declined)
        );
        assert_eq!(Scenario::Busy.expected(), Some(OutcomeClass::Rejected));
    }
}
