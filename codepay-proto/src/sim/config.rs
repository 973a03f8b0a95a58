//! The simulator's configuration (spec §13.2) and its fault switches (spec §13.6).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// Configuration of a [`super::CodepaySim`]; `Default` is the spec's simulator defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// The `app_id` to enforce; `None` accepts any non-empty one.
    pub app_id: Option<String>,
    /// The terminal currency (`USD`).
    pub currency: String,
    /// The largest `order_amount` (`999999.99`).
    pub max_amount: String,
    /// Card flow duration (3 s).
    pub card_delay_ms: u64,
    /// Host round trip for void, referenced refund, completion, tip adjustment, batch close
    /// (1 s).
    pub host_delay_ms: u64,
    /// Cashier confirmation with `confirm_on_terminal` (2 s).
    pub confirm_delay_ms: u64,
    /// A close succeeds this long after the card flow starts, later it gets `201` (1.5 s).
    pub close_window_ms: u64,
    /// Whether and when a closed order also gets its own response (`After`).
    pub close_order_response: CloseOrderResponse,
    /// Whether refunds without `orig_merchant_order_no` are accepted (true).
    pub allow_unreferenced_refund: bool,
    /// Order validity when `expires` is absent or 0 (300 s).
    pub default_expires_secs: u64,
    /// Whether results produced while disconnected are sent after the next connect (true).
    pub redeliver_on_reconnect: bool,
    /// The success code sent: `"000"` or `"0"`.
    pub success_code: String,
    /// Whether the amount's cents choose the scenario (true).
    pub magic_amounts: bool,
    /// Fault switches, all off by default.
    pub faults: SimFaults,
    /// `device_data` returned by getInfo.
    pub device_data: BTreeMap<String, String>,
    /// `BANKCARD` payment methods returned by init.
    pub pay_methods: Vec<String>,
    /// Extra `biz_data` keys of the batch-close response.
    pub batch_close_extra: BTreeMap<String, String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        let mut device_data = BTreeMap::new();
        device_data.insert("device_name".into(), "CodePay Simulator".into());
        device_data.insert("device_sn".into(), "SIM00000001".into());
        device_data.insert("app_name".into(), "CodePay Register".into());
        device_data.insert("app_version".into(), "sim".into());
        Self {
            app_id: None,
            currency: "USD".into(),
            max_amount: "999999.99".into(),
            card_delay_ms: 3_000,
            host_delay_ms: 1_000,
            confirm_delay_ms: 2_000,
            close_window_ms: 1_500,
            close_order_response: CloseOrderResponse::After,
            allow_unreferenced_refund: true,
            default_expires_secs: 300,
            redeliver_on_reconnect: true,
            success_code: "000".into(),
            magic_amounts: true,
            faults: SimFaults::default(),
            device_data,
            pay_methods: alloc::vec!["Visa".into(), "MasterCard".into()],
            batch_close_extra: BTreeMap::new(),
        }
    }
}

/// Whether a closed order also gets its own `102` response (spec §13.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseOrderResponse {
    /// The order response follows the close response.
    After,
    /// The order response precedes the close response.
    Before,
    /// Only the close is answered.
    None,
}

/// Seeded fault switches (spec §13.6). Rates are per mille.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimFaults {
    /// Seed of the fault dice.
    pub seed: u64,
    /// Chance to drop a response.
    pub drop_response: u16,
    /// Chance to send a response twice.
    pub duplicate_response: u16,
    /// Chance to close the connection instead of answering.
    pub disconnect_instead: u16,
    /// Delay every response by this long.
    pub delay_response_ms: u64,
    /// Send `trans_status` and amounts as JSON numbers.
    pub numbers_as_json: bool,
    /// Send `biz_data: ""` on cancellations.
    pub empty_biz_on_cancel: bool,
    /// Add keys the POS does not know.
    pub unknown_keys: bool,
    /// Leave `request_id` out of responses.
    pub omit_request_id: bool,
    /// Push `{"topic":"ecrhub.heartbeat"}` this often while connected.
    pub heartbeat_every_ms: Option<u64>,
    /// Reply in binary frames.
    pub binary_replies: bool,
}
